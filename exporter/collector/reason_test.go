package collector

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

type pgErr struct{ code string }

func (e *pgErr) Error() string    { return "ERROR: something (SQLSTATE " + e.code + ")" }
func (e *pgErr) SQLState() string { return e.code }

type redisReply string

func (e redisReply) Error() string { return string(e) }
func (redisReply) RedisError()     {}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want Reason
	}{
		{"nil", nil, ""},
		{"deadline", context.DeadlineExceeded, ReasonTimeout},
		{"wrapped deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), ReasonTimeout},
		{"canceled", context.Canceled, ReasonTimeout},
		{"net timeout", &net.OpError{Op: "read", Err: timeoutErr{}}, ReasonTimeout},
		{"os deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), ReasonTimeout},
		{"refused", fmt.Errorf("connect: %w", refused), ReasonRefused},
		{"dns", &net.DNSError{Err: "no such host", Name: "db.invalid", IsNotFound: true}, ReasonDNS},
		{"tls unknown authority", fmt.Errorf("handshake: %w", x509.UnknownAuthorityError{}), ReasonTLS},
		{"tls hostname", x509.HostnameError{Host: "x"}, ReasonTLS},
		{"pg bad password", fmt.Errorf("connect: %w", &pgErr{"28P01"}), ReasonAuth},
		{"pg no role", &pgErr{"28000"}, ReasonAuth},
		{"pg syntax", &pgErr{"42601"}, ReasonQuery},
		{"redis wrongpass", redisReply("WRONGPASS invalid username-password pair"), ReasonAuth},
		{"redis noauth", fmt.Errorf("ping: %w", redisReply("NOAUTH Authentication required.")), ReasonAuth},
		{"redis other", redisReply("ERR unknown command"), ReasonQuery},
		{"explicit", WithReason(errors.New("status 401"), ReasonAuth), ReasonAuth},
		{"explicit wrapped", fmt.Errorf("probe: %w", WithReason(context.DeadlineExceeded, ReasonQuery)), ReasonQuery},
		{"plain", errors.New("unexpected EOF"), ReasonOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestWithReasonNil(t *testing.T) {
	if err := WithReason(nil, ReasonAuth); err != nil {
		t.Errorf("WithReason(nil) = %v, want nil", err)
	}
}
