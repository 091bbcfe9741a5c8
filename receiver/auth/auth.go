// Package auth checks the credentials of webhook, API and UI requests:
// a bearer token or HTTP basic auth, compared in constant time.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/golive-ops/golive/internal/secret"
)

// Options are the accepted credentials.
type Options struct {
	BearerToken   secret.Secret
	BasicUser     string
	BasicPassword secret.Secret
	// AllowLoopback accepts unauthenticated requests from 127.0.0.0/8 and
	// ::1 (the local demo).
	AllowLoopback bool
	// Disabled accepts everything.
	Disabled bool
}

// Authenticator wraps handlers.
type Authenticator struct {
	o      Options
	token  [32]byte
	user   [32]byte
	pass   [32]byte
	logger *slog.Logger
}

// New returns an Authenticator.
func New(o Options, logger *slog.Logger) *Authenticator {
	a := &Authenticator{o: o, logger: logger}
	// Hashing first makes the comparison constant-time in the length too.
	a.token = sha256.Sum256([]byte(o.BearerToken.Value()))
	a.user = sha256.Sum256([]byte(o.BasicUser))
	a.pass = sha256.Sum256([]byte(o.BasicPassword.Value()))
	return a
}

// Allowed reports whether r carries valid credentials (or needs none).
func (a *Authenticator) Allowed(r *http.Request) bool {
	if a.o.Disabled {
		return true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		return a.check(r, h)
	}
	return a.o.AllowLoopback && fromLoopback(r)
}

func (a *Authenticator) check(r *http.Request, h string) bool {
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok && a.o.BearerToken != "" {
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		return subtle.ConstantTimeCompare(got[:], a.token[:]) == 1
	}
	if user, pass, ok := r.BasicAuth(); ok && a.o.BasicPassword != "" {
		u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
		// Both comparisons always run, so timing does not tell which failed.
		okUser := subtle.ConstantTimeCompare(u[:], a.user[:])
		okPass := subtle.ConstantTimeCompare(p[:], a.pass[:])
		return okUser&okPass == 1
	}
	return false
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Wrap answers 401 to requests without valid credentials.
func (a *Authenticator) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.Allowed(r) {
			if a.o.BasicPassword != "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="golive receiver"`)
			} else {
				w.Header().Set("WWW-Authenticate", `Bearer realm="golive receiver"`)
			}
			http.Error(w, "401 unauthorized: missing or invalid credentials", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
