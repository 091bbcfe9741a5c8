package notify

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/mail"
)

// Email sends plain-text mail through an SMTP smarthost (internal/mail):
// implicit TLS on port 465 (or when configured), STARTTLS otherwise, required
// unless the config explicitly allows plaintext.
type Email struct {
	host *mail.Smarthost
	to   []*netmail.Address
	tmpl *Template
	now  func() time.Time
}

// Send delivers one message.
func (e *Email) Send(ctx context.Context, m Message) (bool, error) {
	subject, text, err := e.tmpl.Render(m)
	if err != nil {
		return false, err
	}
	msg, err := e.compose(m, subject, text)
	if err != nil {
		return false, err
	}
	if err := e.host.Send(ctx, e.to, msg); err != nil {
		return mail.Retryable(err), err
	}
	return false, nil
}

func (e *Email) compose(m Message, subject, text string) ([]byte, error) {
	var b bytes.Buffer
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", e.host.From.String())
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", subject))
	hdr("Date", e.now().Format(time.RFC1123Z))
	if m.Key != "" {
		hdr("Message-ID", fmt.Sprintf("<%s@golive>", sanitizeID(m.Key)))
	}
	if m.IncidentID != "" {
		// Threads every mail about one incident in mail clients.
		ref := fmt.Sprintf("<incident-%s@golive>", sanitizeID(m.IncidentID))
		hdr("References", ref)
		hdr("X-Golive-Incident", sanitizeID(m.IncidentID))
	}
	hdr("X-Golive-Priority", sanitizeID(m.Priority))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=UTF-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// sanitizeID keeps header values to a safe alphabet (no CR/LF injection).
func sanitizeID(s string) string { return mail.SanitizeID(s) }
