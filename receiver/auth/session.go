package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SessionCookie is the name of the console's session cookie.
const SessionCookie = "golive_session"

// Session is one browser's session: signed into its cookie, so every
// replica sharing the key accepts it and nothing is stored. An anonymous
// session (User "") exists only to give the login form and the loopback
// demo a CSRF token.
type Session struct {
	ID      string
	User    string
	Expires time.Time
	csrf    string
}

// CSRFToken is the token the session's forms must send back in _csrf (or
// the X-CSRF-Token header): derived from the session, so a page of
// another site can neither read nor guess it.
func (s *Session) CSRFToken() string { return s.csrf }

type sessions struct {
	key    []byte
	ttl    time.Duration
	now    func() time.Time
	secure bool // Secure cookies even when the request is not TLS (a proxy terminates it)

	revoked *revocations
}

// revocations hold logged-out session ids until they would expire: a
// stolen cookie stops working at logout (in this process; other replicas
// accept it until it expires).
type revocations struct {
	mu  sync.Mutex
	ids map[string]time.Time
}

// The process's own session key and revocations, for configs without a
// session_key_file: one per process rather than per Authenticator, so a
// config reload (which builds a new Authenticator) keeps people logged in
// and logged out; a restart ends every session.
var (
	processKey = sync.OnceValue(func() []byte {
		key := make([]byte, 32)
		_, _ = rand.Read(key) // never fails (crypto/rand since Go 1.24)
		return key
	})
	processRevoked = &revocations{ids: map[string]time.Time{}}
)

func newSessions(key []byte, ttl time.Duration, now func() time.Time) *sessions {
	if len(key) == 0 {
		key = processKey()
	}
	return &sessions{key: key, ttl: ttl, now: now, revoked: processRevoked}
}

func (s *sessions) mac(purpose string, b []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(b)
	return m.Sum(nil)
}

func (s *sessions) finish(sess *Session) *Session {
	sess.csrf = base64.RawURLEncoding.EncodeToString(s.mac("csrf", []byte(sess.ID)))
	return sess
}

// encode is base64url(id(16) | expires(8, unix seconds) | user) "." base64url(HMAC).
func (s *sessions) encode(sess *Session) string {
	id, _ := base64.RawURLEncoding.DecodeString(sess.ID)
	b := make([]byte, 0, 24+len(sess.User))
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, uint64(sess.Expires.Unix()))
	b = append(b, sess.User...)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(s.mac("session", b))
}

func (s *sessions) decode(v string) *Session {
	body, sig, ok := strings.Cut(v, ".")
	// The decoder skips \r and \n; only the alphabet itself is a cookie.
	if !ok || len(v) > 4096 || strings.IndexFunc(body+sig, notBase64URL) >= 0 {
		return nil
	}
	// Strict: one cookie value per session, no malleable padding bits.
	b, err1 := base64.RawURLEncoding.Strict().DecodeString(body)
	mac, err2 := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err1 != nil || err2 != nil || len(b) < 24 || !hmac.Equal(mac, s.mac("session", b)) {
		return nil
	}
	sess := &Session{ID: base64.RawURLEncoding.EncodeToString(b[:16]),
		Expires: time.Unix(int64(binary.BigEndian.Uint64(b[16:24])), 0), User: string(b[24:])}
	if !s.now().Before(sess.Expires) {
		return nil
	}
	s.revoked.mu.Lock()
	_, gone := s.revoked.ids[sess.ID]
	s.revoked.mu.Unlock()
	if gone {
		return nil
	}
	return s.finish(sess)
}

func (s *sessions) read(r *http.Request) *Session {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	return s.decode(c.Value)
}

func (s *sessions) create(user string) *Session {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	ttl := s.ttl
	if user == "" {
		ttl = 24 * time.Hour // a demo or login-form session
	}
	return s.finish(&Session{ID: base64.RawURLEncoding.EncodeToString(id), User: user, Expires: s.now().Add(ttl).Truncate(time.Second)})
}

func (s *sessions) revoke(sess *Session) {
	r := s.revoked
	r.mu.Lock()
	defer r.mu.Unlock()
	now := s.now()
	for id, exp := range r.ids {
		if now.After(exp) {
			delete(r.ids, id)
		}
	}
	r.ids[sess.ID] = sess.Expires
}

func (s *sessions) set(w http.ResponseWriter, r *http.Request, sess *Session) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: s.encode(sess), Path: "/", Expires: sess.Expires,
		HttpOnly: true, Secure: s.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// EnsureSession returns the request's session, or starts an anonymous one
// (setting its cookie) so the page can carry a CSRF token.
func (a *Authenticator) EnsureSession(w http.ResponseWriter, r *http.Request) *Session {
	if p, ok := FromContext(r.Context()); ok && p.Session != nil {
		return p.Session
	}
	if s := a.sessions.read(r); s != nil {
		return s
	}
	s := a.sessions.create("")
	a.sessions.set(w, r, s)
	return s
}

// StartSession logs user in: a new session id (never the one the browser
// had before, which an attacker may have planted), in a fresh cookie.
func (a *Authenticator) StartSession(w http.ResponseWriter, r *http.Request, user string) *Session {
	if old := a.sessions.read(r); old != nil {
		a.sessions.revoke(old)
	}
	s := a.sessions.create(user)
	a.sessions.set(w, r, s)
	return s
}

// EndSession logs out: the session id is revoked and the cookie deleted.
func (a *Authenticator) EndSession(w http.ResponseWriter, r *http.Request) {
	if s := a.sessions.read(r); s != nil {
		a.sessions.revoke(s)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.sessions.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func notBase64URL(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}
