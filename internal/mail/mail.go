// Package mail delivers ready-made RFC 5322 messages through an SMTP
// smarthost. The receiver's email channel and the daily report both send
// through it, so TLS policy, authentication, deadlines and the retry
// classification of SMTP replies are written once.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/secret"
)

// Smarthost is one SMTP relay and the envelope sent through it: implicit
// TLS on port 465 (or when Implicit is set), STARTTLS otherwise, required
// when RequireTLS is set.
type Smarthost struct {
	Addr       string // host:port
	Hello      string
	From       *mail.Address
	Username   string
	Password   secret.Secret
	Implicit   bool
	RequireTLS bool
	TLS        *tls.Config // nil: system roots, TLS 1.2 or later
	// Timeout bounds the whole conversation, not only the dial: net/smtp
	// has no context, and a server that accepts and then stalls would
	// otherwise hold the caller forever. Zero means DefaultTimeout.
	Timeout time.Duration
	Dialer  net.Dialer
}

// DefaultTimeout bounds one delivery when Smarthost.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Failures that only a config change can fix.
var (
	ErrNoTLS  = errors.New("server does not offer STARTTLS and require_tls is set")
	ErrNoAuth = errors.New("auth configured but the server offers no AUTH")
)

// Send delivers msg (headers and body, CRLF line ends) to every address in
// to. Errors name the smarthost, never the password; Retryable says whether
// another attempt may succeed.
func (s *Smarthost) Send(ctx context.Context, to []*mail.Address, msg []byte) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.deliver(ctx, to, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", s.Addr, err)
	}
	return nil
}

func (s *Smarthost) deliver(ctx context.Context, to []*mail.Address, msg []byte) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smarthost: %w", err)
	}
	if s.From == nil {
		return errors.New("no from address")
	}
	conn, err := s.Dialer.DialContext(ctx, "tcp", s.Addr)
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
	var tlsConf *tls.Config
	if s.TLS != nil {
		tlsConf = s.TLS.Clone()
	} else {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = host
	}
	if s.Implicit {
		conn = tls.Client(conn, tlsConf)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	hello := s.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return err
	}
	if !s.Implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
		} else if s.RequireTLS {
			return ErrNoTLS
		}
	}
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return ErrNoAuth
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password.Value(), host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(s.From.Address); err != nil {
		return err
	}
	for _, rcpt := range to {
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

// Retryable classifies a Send error: 4xx replies are transient by
// definition (RFC 5321), 5xx are permanent; a server that lacks TLS or AUTH
// will keep lacking it; anything else is transport trouble, worth another
// attempt.
func Retryable(err error) bool {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 400 && te.Code < 500
	}
	return !errors.Is(err, ErrNoTLS) && !errors.Is(err, ErrNoAuth)
}

// Header writes one header line, Q-encoding values that are not ASCII (a
// subject in Chinese) and dropping CR and LF so no value can inject a header.
func Header(b *strings.Builder, key, value string) {
	value = strings.NewReplacer("\r", "", "\n", " ").Replace(value)
	if key == "Subject" {
		value = mime.QEncoding.Encode("utf-8", value)
	}
	fmt.Fprintf(b, "%s: %s\r\n", key, value)
}

// AddressList formats addresses for a To or Cc header.
func AddressList(as []*mail.Address) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return strings.Join(out, ", ")
}

// SanitizeID keeps a value for Message-ID and similar headers to a safe
// alphabet.
func SanitizeID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
