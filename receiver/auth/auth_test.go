package auth

import (
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/secret"
)

// bcrypt hashes (cost 10) of "pw" and "alice-pw".
const (
	hashPW    = "$2a$10$OkdldQCo7qjos.wv6bJBdOrBlyecIg.Db3Z31qp9YzHeHzQk059zO"
	hashAlice = "$2a$10$QQeyaY3DS.dzuA26OC09R.P6EZgtk7aRUSmSdNUusHamRv9jZVfT."
)

func TestAllowed(t *testing.T) {
	token := Options{BearerToken: "s3cret"}
	basic := Options{BasicUser: "am", BasicPassword: "pw"}
	hashed := Options{BasicUser: "am", BasicPassword: hashPW}
	users := Options{BearerToken: "s3cret", Users: map[string]secret.Secret{"alice": hashAlice}}
	cases := []struct {
		name   string
		o      Options
		remote string
		setup  func(r *http.Request)
		want   bool
	}{
		{"bearer ok", token, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, true},
		{"bearer wrong", token, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cre") }, false},
		{"bearer missing", token, "10.0.0.1:1", func(r *http.Request) {}, false},
		{"bearer sent to basic-only", basic, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "Bearer pw") }, false},
		{"basic ok", basic, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("am", "pw") }, true},
		{"basic wrong user", basic, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("root", "pw") }, false},
		{"basic wrong password", basic, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("am", "pw2") }, false},
		{"basic sent to token-only", token, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("", "s3cret") }, false},
		// RFC 7235 section 2.1: the auth scheme is case-insensitive.
		{"bearer lower case", token, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "bearer s3cret") }, true},
		{"bearer upper case", token, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "BEARER s3cret") }, true},
		{"bearer lower case wrong", token, "10.0.0.1:1", func(r *http.Request) { r.Header.Set("Authorization", "bearer nope") }, false},
		{"basic bcrypt ok", hashed, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("am", "pw") }, true},
		{"basic bcrypt wrong", hashed, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("am", "pw2") }, false},
		{"basic bcrypt: the hash is not the password", hashed, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("am", hashPW) }, false},
		{"basic bcrypt wrong user", hashed, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("root", "pw") }, false},
		{"console user by basic auth", users, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("alice", "alice-pw") }, true},
		{"console user wrong password", users, "10.0.0.1:1", func(r *http.Request) { r.SetBasicAuth("alice", "pw") }, false},
		{"loopback demo v4", Options{AllowLoopback: true}, "127.0.0.1:5", func(r *http.Request) {}, true},
		{"loopback demo v6", Options{AllowLoopback: true}, "[::1]:5", func(r *http.Request) {}, true},
		{"loopback demo from LAN", Options{AllowLoopback: true}, "192.168.1.2:5", func(r *http.Request) {}, false},
		{"loopback with wrong token is refused", Options{AllowLoopback: true, BearerToken: "x"}, "127.0.0.1:5",
			func(r *http.Request) { r.Header.Set("Authorization", "Bearer y") }, false},
		{"no credentials configured", Options{}, "127.0.0.1:5", func(r *http.Request) {}, false},
		{"disabled", Options{Disabled: true}, "192.168.1.2:5", func(r *http.Request) {}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/alertmanager", nil)
			r.RemoteAddr = c.remote
			c.setup(r)
			if got := New(c.o, nil).Allowed(r); got != c.want {
				t.Fatalf("Allowed = %v, want %v", got, c.want)
			}
		})
	}
}

func TestBcryptCacheKeepsWrongPasswordsOut(t *testing.T) {
	a := New(Options{BasicUser: "am", BasicPassword: hashPW}, nil)
	req := func(pass string) *http.Request {
		r := httptest.NewRequest("GET", "/api/v1/incidents", nil)
		r.SetBasicAuth("am", pass)
		return r
	}
	for range 3 { // the second and third answers come from the cache
		if !a.Allowed(req("pw")) {
			t.Fatal("right password refused")
		}
		if a.Allowed(req("pw ")) {
			t.Fatal("wrong password accepted after the right one was cached")
		}
	}
}

func newAuth(t *testing.T, now *time.Time) *Authenticator {
	t.Helper()
	return New(Options{Users: map[string]secret.Secret{"alice": hashAlice}, SessionKey: []byte(strings.Repeat("k", 32)),
		SessionTTL: time.Hour, Now: func() time.Time { return *now }}, nil)
}

// login runs the login a console performs and returns the session cookie.
func login(t *testing.T, a *Authenticator, user string) *http.Cookie {
	t.Helper()
	if !a.Login(user, "alice-pw") {
		t.Fatalf("Login(%s) refused", user)
	}
	w := httptest.NewRecorder()
	a.StartSession(w, httptest.NewRequest("POST", LoginPath, nil), user)
	cs := w.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != SessionCookie || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want one HttpOnly SameSite=Lax %s", cs, SessionCookie)
	}
	return cs[0]
}

func TestSessions(t *testing.T) {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	a := newAuth(t, &now)
	if a.Login("alice", "wrong") || a.Login("mallory", "alice-pw") {
		t.Fatal("Login accepted a wrong password or an unknown user")
	}
	c := login(t, a, "alice")
	identify := func(c *http.Cookie) (Principal, bool) {
		r := httptest.NewRequest("GET", "/ui", nil)
		r.RemoteAddr = "10.0.0.1:1"
		r.AddCookie(c)
		return a.Identify(r)
	}
	if p, ok := identify(c); !ok || p.User != "alice" || p.Method != MethodSession || p.Session == nil || p.Session.CSRFToken() == "" {
		t.Fatalf("Identify with the session cookie = %+v, %v", p, ok)
	}
	// The webhook takes machine credentials only.
	hook := httptest.NewRequest("POST", "/api/v1/alertmanager", nil)
	hook.RemoteAddr = "10.0.0.1:1"
	hook.AddCookie(c)
	if a.Allowed(hook) {
		t.Fatal("a browser session was allowed to post a webhook")
	}
	// A cookie edited to name another user fails the signature.
	tampered := *c
	body, sig, _ := strings.Cut(c.Value, ".")
	tampered.Value = body[:len(body)-2] + "AA." + sig
	if _, ok := identify(&tampered); ok {
		t.Fatal("a tampered cookie was accepted")
	}
	// Another key (another deployment) does not accept it.
	other := New(Options{Users: map[string]secret.Secret{"alice": hashAlice}, SessionKey: []byte(strings.Repeat("x", 32))}, nil)
	r := httptest.NewRequest("GET", "/ui", nil)
	r.AddCookie(c)
	if _, ok := other.Identify(r); ok {
		t.Fatal("a cookie signed with another key was accepted")
	}
	now = now.Add(61 * time.Minute)
	if _, ok := identify(c); ok {
		t.Fatal("an expired session was accepted")
	}
	now = now.Add(-61 * time.Minute)
	// Logout revokes the session id, not just the browser's copy.
	lr := httptest.NewRequest("POST", "/ui/logout", nil)
	lr.AddCookie(c)
	a.EndSession(httptest.NewRecorder(), lr)
	if _, ok := identify(c); ok {
		t.Fatal("the session still works after logout")
	}
}

func TestSessionOfRemovedUserIsRefused(t *testing.T) {
	now := time.Now()
	a := newAuth(t, &now)
	c := login(t, a, "alice")
	b := New(Options{Users: map[string]secret.Secret{"bob": hashAlice}, SessionKey: []byte(strings.Repeat("k", 32))}, nil)
	r := httptest.NewRequest("GET", "/ui", nil)
	r.AddCookie(c)
	if _, ok := b.Identify(r); ok {
		t.Fatal("a session of a user no longer in the config was accepted")
	}
}

func TestGuard(t *testing.T) {
	now := time.Now()
	a := newAuth(t, &now)
	a.o.BearerToken = "tok"
	a.token = sha256Of("tok")
	c := login(t, a, "alice")
	var csrf string
	{
		r := httptest.NewRequest("GET", "/ui", nil)
		r.AddCookie(c)
		p, _ := a.Identify(r)
		csrf = p.Session.CSRFToken()
	}
	reached := false
	h := a.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	form := func(v url.Values) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Body = httpBody(v.Encode())
		}
	}
	cookie := func(r *http.Request) { r.AddCookie(c) }
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") }
	hdr := func(k, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(k, v) } }
	cases := []struct {
		name  string
		setup []func(*http.Request)
		code  int
	}{
		{"session form with its token", []func(*http.Request){cookie, form(url.Values{CSRFField: {csrf}})}, 200},
		{"session JSON with the token header", []func(*http.Request){cookie, hdr(CSRFHeader, csrf)}, 200},
		{"session form without a token", []func(*http.Request){cookie, form(url.Values{"state": {"closed"}})}, 403},
		{"session form with another token", []func(*http.Request){cookie, form(url.Values{CSRFField: {csrf + "x"}})}, 403},
		{"cross-site by Sec-Fetch-Site, even with the token", []func(*http.Request){cookie, form(url.Values{CSRFField: {csrf}}), hdr("Sec-Fetch-Site", "cross-site")}, 403},
		{"same-site is another origin", []func(*http.Request){bearer, hdr("Sec-Fetch-Site", "same-site")}, 403},
		{"Origin of another host, even with a bearer token", []func(*http.Request){bearer, hdr("Origin", "http://evil.example")}, 403},
		{"Origin null", []func(*http.Request){bearer, hdr("Origin", "null")}, 403},
		{"our own Origin", []func(*http.Request){bearer, hdr("Origin", "http://example.com"), hdr("Sec-Fetch-Site", "same-origin")}, 200},
		{"bearer without browser headers (curl, the CLI)", []func(*http.Request){bearer}, 200},
		{"no credentials", nil, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reached = false
			r := httptest.NewRequest("POST", "http://example.com/api/v1/incidents/1/transition", nil)
			r.RemoteAddr = "10.0.0.1:1"
			for _, f := range tc.setup {
				f(r)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.code || reached != (tc.code == 200) {
				t.Fatalf("%d (handler reached: %v), want %d: %s", w.Code, reached, tc.code, w.Body.String())
			}
		})
	}
}

func TestRequireJSON(t *testing.T) {
	for ct, want := range map[string]bool{"application/json": true, "application/json; charset=utf-8": true,
		"text/plain": false, "application/x-www-form-urlencoded": false, "multipart/form-data; boundary=x": false, "": false} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Content-Type", ct)
		if got := RequireJSON(r) == nil; got != want {
			t.Errorf("RequireJSON(%q) ok = %v, want %v", ct, got, want)
		}
	}
}

func sha256Of(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func httpBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// FuzzSessionCookie: a cookie is attacker input. Decoding never panics,
// and whatever decodes is exactly what the key signed.
func FuzzSessionCookie(f *testing.F) {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s := newSessions([]byte(strings.Repeat("k", 32)), time.Hour, func() time.Time { return now })
	good := s.encode(s.create("alice"))
	for _, seed := range []string{good, good + "x", "", ".", "a.b", strings.Replace(good, ".", "..", 1), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sess := s.decode(v)
		if sess == nil {
			return
		}
		if s.encode(sess) != v {
			t.Fatalf("%q decoded to %+v, which encodes differently", v, sess)
		}
	})
}

func TestSecureCookieBehindTLSProxy(t *testing.T) {
	for _, secure := range []bool{false, true} {
		a := New(Options{SecureCookies: secure, AllowLoopback: true}, nil)
		w := httptest.NewRecorder()
		a.StartSession(w, httptest.NewRequest("POST", LoginPath, nil), "alice")
		if c := w.Result().Cookies(); len(c) != 1 || c[0].Secure != secure {
			t.Errorf("SecureCookies %v: cookie %+v", secure, c)
		}
	}
}

// A config reload builds a new Authenticator: without a session key file,
// logins and logouts must carry over to it.
func TestSessionsSurviveAReload(t *testing.T) {
	users := map[string]secret.Secret{"alice": hashAlice}
	before := New(Options{Users: users}, nil)
	w := httptest.NewRecorder()
	before.StartSession(w, httptest.NewRequest("POST", LoginPath, nil), "alice")
	c := w.Result().Cookies()[0]
	after := New(Options{Users: users}, nil)
	r := httptest.NewRequest("GET", "/ui", nil)
	r.AddCookie(c)
	if p, ok := after.Identify(r); !ok || p.User != "alice" {
		t.Fatal("a reload logged alice out")
	}
	before.EndSession(httptest.NewRecorder(), r)
	if _, ok := after.Identify(r); ok {
		t.Fatal("a logout before the reload does not hold after it")
	}
}
