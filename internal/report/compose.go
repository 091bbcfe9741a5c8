package report

import (
	"encoding/base64"
	"fmt"
	netmail "net/mail"

	"github.com/golive-ops/golive/internal/mail"
)

// Mail renders the report as a mail: a plain-text part and an HTML part
// with the charts as inline PNG parts referenced by cid:.
func (r *Report) Mail(from *netmail.Address, to []*netmail.Address, messageID string) (mail.Message, error) {
	images, err := r.RenderCharts()
	if err != nil {
		return mail.Message{}, err
	}
	html, err := r.RenderHTML(images, nil)
	if err != nil {
		return mail.Message{}, fmt.Errorf("rendering HTML: %w", err)
	}
	m := mail.Message{
		From: from, To: to, Subject: r.Subject(), Date: r.GeneratedAt, MessageID: messageID,
		Headers: map[string]string{"X-Golive-Report": r.Date},
		Text:    r.RenderText(), HTML: html,
	}
	for _, im := range images {
		m.Inline = append(m.Inline, mail.Inline{CID: im.CID, ContentType: "image/png", Filename: im.CID[:len(im.CID)-len("@golive")] + ".png", Data: im.PNG})
	}
	return m, nil
}

// StandaloneHTML is the HTML part with the charts embedded as data: URLs,
// one file to open in a browser or attach to a ticket.
func (r *Report) StandaloneHTML() (string, error) {
	images, err := r.RenderCharts()
	if err != nil {
		return "", err
	}
	return r.RenderHTML(images, func(im Image) string {
		return "data:image/png;base64," + base64.StdEncoding.EncodeToString(im.PNG)
	})
}
