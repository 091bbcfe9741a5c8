package notify

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// Default templates. They are plain text: Slack renders them as mrkdwn,
// email as text/plain, SMS gateways as-is.
const (
	DefaultTitle = `[{{ .Priority }}] {{ .Title }}{{ if eq .Event "resolved" }} (resolved){{ end }}`
	DefaultText  = `{{ eventVerb .Event }} incident {{ .IncidentID }}: {{ .Title }}
Priority: {{ .Priority }}  State: {{ .State }}{{ if .Service }}  Service: {{ .Service }}{{ end }}
{{- if .Assignee }}
On call: {{ .Assignee }}{{ end }}
{{- if .Summary }}
{{ .Summary }}{{ end }}
{{- if .URL }}
{{ .URL }}{{ end }}`
)

var funcs = template.FuncMap{
	"eventVerb": func(e string) string {
		switch e {
		case "opened":
			return "New"
		case "escalated", "sla_breach":
			return "ESCALATED:"
		case "resolved":
			return "Resolved"
		case "reopened":
			return "Reopened"
		case "test":
			return "Test of"
		default:
			return strings.ToUpper(e[:min(1, len(e))]) + e[min(1, len(e)):]
		}
	},
	"upper": strings.ToUpper,
	"join":  strings.Join,
}

// Template renders a title and a text from a Message.
type Template struct {
	title, text *template.Template
}

// NewTemplate parses title and text (empty means the default).
func NewTemplate(title, text string) (*Template, error) {
	if title == "" {
		title = DefaultTitle
	}
	if text == "" {
		text = DefaultText
	}
	t, err := template.New("title").Funcs(funcs).Option("missingkey=zero").Parse(title)
	if err != nil {
		return nil, fmt.Errorf("title template: %w", err)
	}
	b, err := template.New("text").Funcs(funcs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("text template: %w", err)
	}
	return &Template{title: t, text: b}, nil
}

// Render returns the title and text for m.
func (t *Template) Render(m Message) (title, text string, err error) {
	var tb, bb bytes.Buffer
	if err := t.title.Execute(&tb, m); err != nil {
		return "", "", fmt.Errorf("rendering title: %w", err)
	}
	if err := t.text.Execute(&bb, m); err != nil {
		return "", "", fmt.Errorf("rendering text: %w", err)
	}
	return strings.TrimSpace(tb.String()), strings.TrimSpace(bb.String()), nil
}
