package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/secret"
)

// Email sends plain-text mail through an SMTP smarthost: implicit TLS on port
// 465 (or when configured), STARTTLS otherwise, required unless the config
// explicitly allows plaintext.
type Email struct {
	smarthost  string // host:port
	hello      string
	from       *mail.Address
	to         []*mail.Address
	username   string
	password   secret.Secret
	implicit   bool
	requireTLS bool
	tlsConfig  *tls.Config
	tmpl       *Template
	// timeout bounds the whole conversation, not only the dial: net/smtp
	// has no context, and a server that accepts and then stalls would
	// otherwise hold the outbox worker forever.
	timeout time.Duration
	dialer  net.Dialer
	now     func() time.Time
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
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	if err := e.deliver(ctx, msg); err != nil {
		return retryableSMTP(err), fmt.Errorf("smtp %s: %w", e.smarthost, err)
	}
	return false, nil
}

func (e *Email) deliver(ctx context.Context, msg []byte) (err error) {
	host, _, err := net.SplitHostPort(e.smarthost)
	if err != nil {
		return fmt.Errorf("smarthost: %w", err)
	}
	conn, err := e.dialer.DialContext(ctx, "tcp", e.smarthost)
	if err != nil {
		return err
	}
	// net/smtp has no context: bound the whole conversation by ctx's deadline
	// and close the connection if ctx is cancelled first.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	tlsConf := e.tlsConfig.Clone()
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = host
	}
	if e.implicit {
		conn = tls.Client(conn, tlsConf)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(e.hello); err != nil {
		return err
	}
	if !e.implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
		} else if e.requireTLS {
			return errNoTLS
		}
	}
	if e.username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errNoAuth
		}
		if err := c.Auth(smtp.PlainAuth("", e.username, e.password.Value(), host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return err
	}
	for _, rcpt := range e.to {
		if err := c.Rcpt(rcpt.Address); err != nil {
			return fmt.Errorf("rcpt %s: %w", rcpt.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// Failures that only a config change can fix.
var (
	errNoTLS  = errors.New("server does not offer STARTTLS and require_tls is set")
	errNoAuth = errors.New("auth configured but the server offers no AUTH")
)

// retryableSMTP: 4xx replies are transient by definition (RFC 5321), 5xx are
// permanent; a server that lacks TLS or AUTH will keep lacking it; anything
// else is transport trouble, worth another attempt.
func retryableSMTP(err error) bool {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 400 && te.Code < 500
	}
	return !errors.Is(err, errNoTLS) && !errors.Is(err, errNoAuth)
}

func (e *Email) compose(m Message, subject, text string) ([]byte, error) {
	var b bytes.Buffer
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", e.from.String())
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
func sanitizeID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
