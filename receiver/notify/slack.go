package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Slack posts to a Slack incoming webhook (or a Slack-compatible one, such as
// Mattermost or Rocket.Chat).
type Slack struct {
	url      *url.URL
	channel  string
	username string
	tmpl     *Template
	client   *http.Client
}

// priorityColor makes the attachment bar show urgency at a glance.
var priorityColor = map[string]string{"P0": "#d50000", "P1": "#ff6d00", "P2": "#ffd600", "P3": "#2962ff"}

type slackPayload struct {
	Channel     string            `json:"channel,omitempty"`
	Username    string            `json:"username,omitempty"`
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments,omitempty"`
}

type slackAttachment struct {
	Color     string       `json:"color,omitempty"`
	Title     string       `json:"title"`
	TitleLink string       `json:"title_link,omitempty"`
	Text      string       `json:"text"`
	Fields    []slackField `json:"fields,omitempty"`
	Fallback  string       `json:"fallback"`
}

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// slackEscape applies Slack's message escaping to text we did not write.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Send posts one message.
func (s *Slack) Send(ctx context.Context, m Message) (bool, error) {
	title, text, err := s.tmpl.Render(m)
	if err != nil {
		return false, err
	}
	// Alert labels are not ours to trust: unescaped, "<!channel>" in a
	// label would page a whole channel. Slack wants &, < and > escaped.
	title, text = slackEscape.Replace(title), slackEscape.Replace(text)
	color := priorityColor[m.Priority]
	if m.Event == "resolved" {
		color = "#2eb886"
	}
	fields := []slackField{{Title: "Priority", Value: m.Priority, Short: true}, {Title: "State", Value: m.State, Short: true}}
	if m.Service != "" {
		fields = append(fields, slackField{Title: "Service", Value: slackEscape.Replace(m.Service), Short: true})
	}
	if m.Assignee != "" {
		fields = append(fields, slackField{Title: "On call", Value: slackEscape.Replace(m.Assignee), Short: true})
	}
	body, err := json.Marshal(slackPayload{
		Channel:  s.channel,
		Username: s.username,
		Text:     title,
		Attachments: []slackAttachment{{
			Color: color, Title: title, TitleLink: m.URL, Text: text, Fields: fields, Fallback: title,
		}},
	})
	if err != nil {
		return false, fmt.Errorf("encoding slack payload: %w", err)
	}
	return postJSON(ctx, s.client, s.url, body, nil)
}
