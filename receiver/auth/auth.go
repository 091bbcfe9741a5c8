// Package auth says who made a request to the webhook, the API or the
// console, and refuses what a browser could be tricked into sending.
//
// Machines (Alertmanager, `golive incidents`, scripts) send a bearer token
// or HTTP basic auth. People log in to the console and carry a signed
// session cookie (session.go); a browser request that changes something
// must then also carry the session's CSRF token and come from our own
// origin (guard.go). The local demo may accept loopback requests without
// credentials; it still gets a session so its forms carry a CSRF token.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/golive-ops/golive/internal/secret"
)

// Options are the accepted credentials.
type Options struct {
	BearerToken secret.Secret
	BasicUser   string
	// BasicPassword is the basic-auth password, in plain text or as a
	// bcrypt hash ($2a$, $2b$, $2y$), as exporter-toolkit's
	// basic_auth_users takes it.
	BasicPassword secret.Secret
	// Users are the console's people: user name to bcrypt hash. They log in
	// through the login page, and may use basic auth against the API.
	Users map[string]secret.Secret
	// SessionKey signs session cookies (at least 32 bytes; empty: a random
	// key, so sessions end when the process restarts).
	SessionKey []byte
	// SessionTTL is how long a login lasts (0: 12h).
	SessionTTL time.Duration
	// SecureCookies marks session cookies Secure even on plain HTTP
	// requests: set when a TLS-terminating proxy serves the external URL.
	SecureCookies bool
	// AllowLoopback accepts unauthenticated requests from 127.0.0.0/8 and
	// ::1 (the local demo).
	AllowLoopback bool
	// Disabled accepts everything.
	Disabled bool
	Now      func() time.Time
}

// Method is how a request was authenticated.
type Method string

// The ways in.
const (
	MethodBearer   Method = "bearer"
	MethodBasic    Method = "basic"
	MethodSession  Method = "session"
	MethodLoopback Method = "loopback"
	MethodDisabled Method = "disabled"
)

// DemoActor is the actor of console actions in the unauthenticated
// loopback demo.
const DemoActor = "demo"

// Principal is who made a request.
type Principal struct {
	Method Method
	// User is the person: a console login or a basic-auth user name. Empty
	// for a bearer token, the loopback demo and disabled auth.
	User string
	// Session is the browser session the request carried, if valid (also
	// in the demo, where it holds no user). Unsafe requests with a session
	// have passed the CSRF check.
	Session *Session
}

// Name is what the timeline records as the actor of a console action.
func (p Principal) Name() string {
	switch {
	case p.User != "":
		return p.User
	case p.Method == MethodDisabled:
		return "anonymous" // behind an authenticating proxy we are not told who
	default:
		return DemoActor
	}
}

// Browser reports whether the request came with a session cookie, i.e.
// from the console rather than an API client.
func (p Principal) Browser() bool { return p.Session != nil }

type ctxKey struct{}

// FromContext returns the principal Wrap stored.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p (tests of handlers behind Wrap).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// Authenticator wraps handlers.
type Authenticator struct {
	o        Options
	token    [32]byte
	user     [32]byte
	pass     [32]byte
	passHash []byte // BasicPassword when it is a bcrypt hash
	sessions *sessions
	bcrypt   *bcryptChecker
	logger   *slog.Logger
}

// New returns an Authenticator.
func New(o Options, logger *slog.Logger) *Authenticator {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	a := &Authenticator{o: o, logger: logger, bcrypt: &bcryptChecker{ok: map[[32]byte]bool{}}}
	// Hashing first makes the comparison constant-time in the length too.
	a.token = sha256.Sum256([]byte(o.BearerToken.Value()))
	a.user = sha256.Sum256([]byte(o.BasicUser))
	a.pass = sha256.Sum256([]byte(o.BasicPassword.Value()))
	if IsBcrypt(o.BasicPassword.Value()) {
		a.passHash = []byte(o.BasicPassword.Value())
	}
	a.sessions = newSessions(o.SessionKey, o.SessionTTL, o.Now)
	a.sessions.secure = o.SecureCookies
	return a
}

// IsBcrypt reports whether s is a bcrypt hash.
func IsBcrypt(s string) bool {
	_, err := bcrypt.Cost([]byte(s))
	return err == nil
}

// HasUsers reports whether people can log in to the console.
func (a *Authenticator) HasUsers() bool { return len(a.o.Users) > 0 }

// LoopbackDemo reports whether unauthenticated loopback requests are let in.
func (a *Authenticator) LoopbackDemo() bool { return a.o.AllowLoopback && !a.o.Disabled }

// Allowed reports whether r carries a machine's valid credentials (or
// needs none): what the webhook accepts. A browser session is not enough
// there, since a page on another site can make a logged-in browser post.
func (a *Authenticator) Allowed(r *http.Request) bool {
	p, ok := a.Identify(r)
	return ok && p.Method != MethodSession
}

// Identify says who sent r. Credentials in the Authorization header win
// over a session cookie; a wrong header is never rescued by a cookie or by
// the loopback exception.
func (a *Authenticator) Identify(r *http.Request) (Principal, bool) {
	if a.o.Disabled {
		return Principal{Method: MethodDisabled, Session: a.sessions.read(r)}, true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		p, ok := a.check(r, h)
		if ok && p.Method == MethodBasic && isForm(r) {
			// A browser that logged in with basic auth posts the console's
			// forms with the session its pages gave it, so the form's
			// CSRF token is checked against that.
			p.Session = a.sessions.read(r)
		}
		return p, ok
	}
	s := a.sessions.read(r)
	if s != nil && s.User != "" {
		if _, known := a.o.Users[s.User]; known {
			return Principal{Method: MethodSession, User: s.User, Session: s}, true
		}
		s = nil // the user was removed from the config
	}
	if a.o.AllowLoopback && fromLoopback(r) {
		return Principal{Method: MethodLoopback, Session: s}, true
	}
	return Principal{}, false
}

func (a *Authenticator) check(r *http.Request, h string) (Principal, bool) {
	// RFC 7235 section 2.1: the scheme is case-insensitive.
	scheme, tok, _ := strings.Cut(strings.TrimSpace(h), " ")
	if strings.EqualFold(scheme, "Bearer") {
		if a.o.BearerToken == "" {
			return Principal{}, false
		}
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		return Principal{Method: MethodBearer}, subtle.ConstantTimeCompare(got[:], a.token[:]) == 1
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return Principal{}, false
	}
	if a.o.BasicPassword != "" && a.checkBasic(user, pass) {
		return Principal{Method: MethodBasic, User: user}, true
	}
	if hash, known := a.o.Users[user]; known && a.bcrypt.check(user, hash.Value(), pass) {
		return Principal{Method: MethodBasic, User: user}, true
	}
	return Principal{}, false
}

func (a *Authenticator) checkBasic(user, pass string) bool {
	u := sha256.Sum256([]byte(user))
	okUser := subtle.ConstantTimeCompare(u[:], a.user[:]) == 1
	if a.passHash != nil {
		return a.bcrypt.check(user, string(a.passHash), pass) && okUser
	}
	p := sha256.Sum256([]byte(pass))
	// Both comparisons always run, so timing does not tell which failed.
	okPass := subtle.ConstantTimeCompare(p[:], a.pass[:])
	return okUser && okPass == 1
}

// Login checks a console user's password. An unknown user costs the same
// bcrypt comparison as a known one, so timing does not reveal user names.
func (a *Authenticator) Login(user, pass string) bool {
	hash, known := a.o.Users[user]
	h := []byte(hash.Value())
	if !known {
		h = fakeHash
	}
	a.bcrypt.mu.Lock()
	err := bcrypt.CompareHashAndPassword(h, []byte(pass))
	a.bcrypt.mu.Unlock()
	return known && err == nil
}

// fakeHash is a bcrypt hash (cost 10) of a password nobody uses.
var fakeHash = []byte("$2a$10$vw8KJpm4.ONbhUJ3ac7Ete1I.0Ty0j8T4sw5kKmLXPopTvpggQ43q")

// bcryptChecker compares basic-auth passwords with bcrypt hashes, as
// exporter-toolkit does: one comparison at a time (each costs tens of
// milliseconds of CPU, by design) and successful results remembered, so an
// API client sending the same credentials on every request pays once.
type bcryptChecker struct {
	mu sync.Mutex
	ok map[[32]byte]bool
}

func (b *bcryptChecker) check(user, hash, pass string) bool {
	key := sha256.Sum256([]byte(user + "\x00" + hash + "\x00" + pass))
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ok[key] {
		return true
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pass)) != nil {
		return false
	}
	if len(b.ok) >= 256 {
		clear(b.ok)
	}
	b.ok[key] = true
	return true
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Wrap answers 401 to requests without valid credentials, and 403 to
// unsafe requests a browser could have been tricked into sending (guard.go).
// Handlers find the Principal with FromContext.
func (a *Authenticator) Wrap(next http.Handler) http.Handler {
	return a.wrap(next, true)
}

// Optional is Wrap for pages anyone may see (the login page): requests
// without credentials pass with an empty Principal, but unsafe ones are
// still guarded.
func (a *Authenticator) Optional(next http.Handler) http.Handler {
	return a.wrap(next, false)
}

func (a *Authenticator) wrap(next http.Handler, required bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := a.Identify(r)
		if !ok && required {
			a.unauthorized(w, r)
			return
		}
		if !ok {
			p = Principal{Session: a.sessions.read(r)}
		}
		if code, err := a.guard(w, r, p); err != nil {
			a.logger.Warn("refused a request a browser may have been tricked into sending",
				"path", r.URL.Path, "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "err", err)
			http.Error(w, http.StatusText(code)+": "+err.Error(), code)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func (a *Authenticator) unauthorized(w http.ResponseWriter, r *http.Request) {
	// A browser asking for a console page goes to the login page.
	if a.HasUsers() && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/ui") &&
		strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, LoginPath+"?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if a.o.BasicPassword != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="golive receiver"`)
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="golive receiver"`)
	}
	msg := "401 unauthorized: missing or invalid credentials"
	if strings.HasPrefix(r.URL.Path, "/ui") && !a.HasUsers() {
		msg += " (the console has no users: add ui.users with bcrypt password hashes to log in from a browser)"
	}
	http.Error(w, msg, http.StatusUnauthorized)
}

// LoginPath is the console's login page.
const LoginPath = "/ui/login"
