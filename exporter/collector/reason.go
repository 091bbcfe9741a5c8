package collector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
)

// Reason is a bounded classification of why a collector failed. It goes into
// logs as `reason`, so that failures can be counted and grouped without ever
// turning error text (which may hold hostnames, SQL, or worse) into a label.
type Reason string

// The reasons, in the order Classify tries them.
const (
	ReasonTimeout Reason = "timeout"
	ReasonRefused Reason = "refused"
	ReasonAuth    Reason = "auth"
	ReasonDNS     Reason = "dns"
	ReasonTLS     Reason = "tls"
	ReasonQuery   Reason = "query"
	ReasonOther   Reason = "other"
)

// reasonError lets a collector state the reason itself when only it can tell
// (a Redis "WRONGPASS" reply is an auth failure; the runner cannot know).
type reasonError struct {
	reason Reason
	err    error
}

func (e *reasonError) Error() string { return e.err.Error() }
func (e *reasonError) Unwrap() error { return e.err }

// WithReason tags err with r; Classify returns r for it and for any error
// wrapping it. A nil err stays nil.
func WithReason(err error, r Reason) error {
	if err == nil {
		return nil
	}
	return &reasonError{reason: r, err: err}
}

// sqlStater is implemented by pgconn.PgError; matching on the method keeps
// this package free of driver imports.
type sqlStater interface {
	error
	SQLState() string
}

// redisError is implemented by go-redis's server replies.
type redisError interface {
	error
	RedisError()
}

// Classify maps err to one of the bounded reasons. It is nil-safe and returns
// "" for a nil error.
func Classify(err error) Reason {
	if err == nil {
		return ""
	}
	if re, ok := errors.AsType[*reasonError](err); ok {
		return re.reason
	}
	switch {
	case isTimeout(err):
		return ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return ReasonDNS
	}
	if isTLS(err) {
		return ReasonTLS
	}
	if s, ok := errors.AsType[sqlStater](err); ok {
		// SQLSTATE class 28 is "invalid authorization specification".
		if strings.HasPrefix(s.SQLState(), "28") {
			return ReasonAuth
		}
		return ReasonQuery
	}
	if _, ok := errors.AsType[redisError](err); ok {
		msg := err.Error()
		if strings.Contains(msg, "NOAUTH") || strings.Contains(msg, "WRONGPASS") {
			return ReasonAuth
		}
		return ReasonQuery
	}
	return ReasonOther
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

func isTLS(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	_, ok := errors.AsType[x509.CertificateInvalidError](err)
	return ok
}
