package receiver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/receiver/config"
)

func send(t *testing.T, method, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A page on another site can make the browser POST a form (enctype
// text/plain, urlencoded or multipart) to the receiver with whatever the
// browser holds: cached basic credentials, or loopback reachability in the
// demo. None of it may change an incident.
func TestWriteAPIRefusesWhatACrossSiteFormCanSend(t *testing.T) {
	for _, auth := range []string{"loopback demo", "basic auth"} {
		t.Run(auth, func(t *testing.T) {
			cfg := demoConfig(t)
			var creds []string
			if auth == "basic auth" {
				cfg.Auth = config.Auth{BasicAuth: &config.BasicAuth{Username: "am", Password: "pw"}}
				creds = []string{"Authorization", "Basic YW06cHc="}
			}
			a := startApp(t, cfg)
			if code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1"), creds...); code != 200 {
				t.Fatalf("webhook: %d %s", code, body)
			}
			base := a.url + "/api/v1/incidents/1"
			cases := []struct {
				name, path, body string
				header           []string
				code             int
			}{
				{"text/plain form", "/transition", `{"state":"closed","actor":"x","note":"=y"}`, []string{"Content-Type", "text/plain"}, 415},
				{"no content type", "/notes", `{"actor":"x","note":"y"}`, nil, 415},
				{"urlencoded form without a console session", "/transition", "state=acknowledged", []string{"Content-Type", "application/x-www-form-urlencoded"}, 403},
				{"multipart", "/priority", "--b\r\n\r\n--b--", []string{"Content-Type", "multipart/form-data; boundary=b"}, 415},
				{"JSON from another origin", "/transition", `{"state":"acknowledged","actor":"x"}`,
					[]string{"Content-Type", "application/json", "Origin", "http://evil.example"}, 403},
				{"JSON the browser marks cross-site", "/assign", `{"assignee":"x","actor":"x"}`,
					[]string{"Content-Type", "application/json", "Sec-Fetch-Site", "cross-site"}, 403},
			}
			for _, c := range cases {
				code, body := send(t, "POST", base+c.path, c.body, append(c.header, creds...)...)
				if code != c.code {
					t.Errorf("%s: %d %s, want %d", c.name, code, body, c.code)
				}
			}
			code, body := send(t, "GET", base, "", creds...)
			if code != 200 || !strings.Contains(body, `"state": "new"`) || strings.Contains(body, `"kind": "note"`) || strings.Contains(body, `"actor": "x"`) {
				t.Fatalf("the incident changed: %d %s", code, body)
			}
			// The same request as JSON from a script works.
			code, body = send(t, "POST", base+"/transition", `{"state":"acknowledged","actor":"alice"}`, append([]string{"Content-Type", "application/json"}, creds...)...)
			if code != 200 || !strings.Contains(body, `"state": "acknowledged"`) {
				t.Fatalf("JSON transition: %d %s", code, body)
			}
		})
	}
}

func TestAssign(t *testing.T) {
	a := startApp(t, demoConfig(t))
	if code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1")); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	assign := func(body string) (int, string) {
		return post(t, a.url+"/api/v1/incidents/1/assign", []byte(body))
	}
	for _, c := range []struct {
		body, want string
		code       int
	}{
		{`{"actor":"alice"}`, "assignee is missing", 400},
		{`{"assignee":"bob"}`, "actor is required", 400},
		{`{"assignee":"bob","actor":"alice","note":"bob knows the db"}`, `"assignee": "bob"`, 200},
		{`{"assignee":"bob","actor":"alice"}`, `"assignee": "bob"`, 200}, // no second event
	} {
		if code, body := assign(c.body); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.body, code, body, c.code, c.want)
		}
	}
	_, body := send(t, "GET", a.url+"/api/v1/incidents/1", "")
	if n := strings.Count(body, `"to": "bob"`); n != 1 || !strings.Contains(body, "bob knows the db") {
		t.Fatalf("timeline has %d assignments to bob, want 1 with the note: %s", n, body)
	}
	if code, _ := assign(`{"assignee":"bob","actor":"alice"}`); code != 200 {
		t.Fatal(code)
	}
	for _, st := range []string{"resolved", "closed"} {
		if code, body := post(t, a.url+"/api/v1/incidents/1/transition", []byte(fmt.Sprintf(`{"state":%q,"actor":"alice"}`, st))); code != 200 {
			t.Fatalf("%s: %d %s", st, code, body)
		}
	}
	if code, body := assign(`{"assignee":"carol","actor":"alice"}`); code != 409 {
		t.Fatalf("assigning a closed incident: %d %s, want 409", code, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := startApp(t, demoConfig(t))
	for _, path := range []string{"/ui", "/ui/oncall", "/ui/login", "/api/v1/incidents"} {
		resp, err := http.Get(a.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != 200 || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d, CSP %q, nosniff %q", path, resp.StatusCode, csp, resp.Header.Get("X-Content-Type-Options"))
		}
	}
}

func TestLogin(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Auth = config.Auth{BearerToken: "tok"}
	cfg.UI.Users = map[string]secret.Secret{"alice": "$2a$10$QQeyaY3DS.dzuA26OC09R.P6EZgtk7aRUSmSdNUusHamRv9jZVfT."} // alice-pw
	a := startApp(t, cfg)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request) (*http.Response, string) {
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// A browser without a session is sent to the login page; API clients get 401.
	req, _ := http.NewRequest("GET", a.url+"/ui/incidents/1?x=1", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if resp, _ := do(req); resp.StatusCode != 303 || resp.Header.Get("Location") != "/ui/login?next=%2Fui%2Fincidents%2F1%3Fx%3D1" {
		t.Fatalf("browser without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The login form comes with an anonymous session and its CSRF token.
	req, _ = http.NewRequest("GET", a.url+"/ui/login", nil)
	resp, page := do(req)
	var anon *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "golive_session" {
			anon = c
		}
	}
	_, rest, _ := strings.Cut(page, `name="_csrf" value="`)
	token, _, _ := strings.Cut(rest, `"`)
	if resp.StatusCode != 200 || anon == nil || token == "" {
		t.Fatalf("login page: %d cookie %v token %q", resp.StatusCode, anon, token)
	}
	login := func(form string, cookie *http.Cookie) (*http.Response, string) {
		req, _ := http.NewRequest("POST", a.url+"/ui/login", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		return do(req)
	}
	if resp, body := login("username=alice&password=alice-pw&_csrf="+token, nil); resp.StatusCode != 403 {
		t.Errorf("login without the form's session: %d %s", resp.StatusCode, body)
	}
	if resp, body := login("username=alice&password=alice-pw", anon); resp.StatusCode != 403 {
		t.Errorf("login without the CSRF token: %d %s", resp.StatusCode, body)
	}
	if resp, body := login("username=alice&password=wrong&_csrf="+token, anon); resp.StatusCode != 401 || !strings.Contains(body, "wrong user name or password") {
		t.Errorf("wrong password: %d %s", resp.StatusCode, body)
	}
	resp, _ = login("username=alice&password=alice-pw&next=%2F%2Fevil.example&_csrf="+token, anon)
	var sess *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "golive_session" {
			sess = c
		}
	}
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/ui" || sess == nil || sess.Value == anon.Value || !sess.HttpOnly {
		t.Fatalf("login: %d to %q, cookie %+v", resp.StatusCode, resp.Header.Get("Location"), sess)
	}
	req, _ = http.NewRequest("GET", a.url+"/ui", nil)
	req.AddCookie(sess)
	if resp, page := do(req); resp.StatusCode != 200 || !strings.Contains(page, `<span class="user">alice</span>`) {
		t.Fatalf("triage with the session: %d", resp.StatusCode)
	}
}

// The triage view is open incidents only by default; a state filter is in
// the URL, which the page's own refresh reloads, so the filter survives.
func TestTriageFilter(t *testing.T) {
	a := startApp(t, demoConfig(t))
	if code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1")); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	for _, st := range []string{"acknowledged", "resolved"} {
		if code, body := post(t, a.url+"/api/v1/incidents/1/transition", []byte(`{"state":"`+st+`","actor":"alice"}`)); code != 200 {
			t.Fatalf("%s: %d %s", st, code, body)
		}
	}
	_, page := get(t, a.url+"/ui")
	if strings.Contains(page, "/ui/incidents/1") || !strings.Contains(page, "No open incidents") {
		t.Errorf("the default triage view lists a resolved incident:\n%s", page)
	}
	_, page = get(t, a.url+"/ui?state=resolved&state=closed")
	if !strings.Contains(page, "/ui/incidents/1") || !strings.Contains(page, `<meta http-equiv="refresh" content="30">`) {
		t.Errorf("the resolved filter does not list the incident or does not refresh:\n%s", page)
	}
	for st, checked := range map[string]bool{"new": false, "acknowledged": false, "resolved": true, "closed": true} {
		box := `value="` + st + `" checked>`
		if strings.Contains(page, box) != checked {
			t.Errorf("state %s checked = %v, want %v", st, !checked, checked)
		}
	}
}

// A browser that authenticates with basic auth (auth.basic_auth, the
// browser's own prompt) works the console's forms too, with the CSRF token.
func TestFormsUnderBasicAuth(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Auth = config.Auth{BasicAuth: &config.BasicAuth{Username: "oncall", Password: "pw"}}
	a := startApp(t, cfg)
	basic := []string{"Authorization", "Basic b25jYWxsOnB3"} // oncall:pw
	if code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1"), basic...); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", a.url+"/ui/incidents/1", nil)
	req.Header.Set(basic[0], basic[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, rest, _ := strings.Cut(string(page), `name="_csrf" value="`)
	token, _, _ := strings.Cut(rest, `"`)
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		cookie = c
	}
	if token == "" || cookie == nil {
		t.Fatalf("incident page gave no session or token: %d", resp.StatusCode)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ack := func(form string) int {
		req, _ := http.NewRequest("POST", a.url+"/api/v1/incidents/1/transition", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(basic[0], basic[1])
		req.AddCookie(cookie)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ack("state=acknowledged"); code != 403 {
		t.Fatalf("form without the token: %d, want 403", code)
	}
	if code := ack("state=acknowledged&_csrf=" + token); code != 303 {
		t.Fatalf("form with the token: %d, want 303", code)
	}
	code, body := send(t, "GET", a.url+"/api/v1/incidents/1", "", basic...)
	if code != 200 || !strings.Contains(body, `"state": "acknowledged"`) || !strings.Contains(body, `"actor": "oncall"`) {
		t.Fatalf("after the form: %d %s", code, body)
	}
}
