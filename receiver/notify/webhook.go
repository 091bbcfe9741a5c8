package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/golive-ops/golive/internal/secret"
)

// Webhook posts the message as JSON to any HTTP endpoint: SMS gateways, chat
// bridges, ticketing systems. The Idempotency-Key header carries Message.Key
// so an endpoint can drop the rare duplicate of an at-least-once delivery.
type Webhook struct {
	url    *url.URL
	header http.Header
	bearer secret.Secret
	user   string
	pass   secret.Secret
	tmpl   *Template
	client *http.Client
}

// WebhookPayload is the versioned JSON body a webhook receives.
type WebhookPayload struct {
	Version string `json:"version"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	Message
}

// Send posts one message.
func (w *Webhook) Send(ctx context.Context, m Message) (bool, error) {
	title, text, err := w.tmpl.Render(m)
	if err != nil {
		return false, err
	}
	body, err := json.Marshal(WebhookPayload{Version: "1", Title: title, Text: text, Message: m})
	if err != nil {
		return false, fmt.Errorf("encoding webhook payload: %w", err)
	}
	h := w.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if m.Key != "" {
		h.Set("Idempotency-Key", m.Key)
	}
	switch {
	case w.bearer != "":
		h.Set("Authorization", "Bearer "+w.bearer.Value())
	case w.user != "":
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(w.user, w.pass.Value())
		h.Set("Authorization", r.Header.Get("Authorization"))
	}
	return postJSON(ctx, w.client, w.url, body, h)
}
