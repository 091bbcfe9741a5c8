package receiver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

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
		{`{"assignee":"","actor":"alice"}`, "assignee is required", 400},
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
