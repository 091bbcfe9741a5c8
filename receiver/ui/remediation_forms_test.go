package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/store"
)

// console is a browser without a browser: a cookie jar on loopback,
// where the demo config lets it in and gives it a session.
type console struct {
	t    *testing.T
	s    server
	c    *http.Client
	csrf string
}

func newConsole(t *testing.T, s server) *console {
	jar, _ := cookiejar.New(nil)
	return &console{t: t, s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *console) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.c.Get(c.s.url + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func (c *console) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (s server) remediations(t *testing.T, q string) []store.Remediation {
	t.Helper()
	var list struct {
		Remediations []store.Remediation `json:"remediations"`
	}
	s.get(t, "/api/v1/remediations?"+q, &list)
	return list.Remediations
}

// The console's Approve, Reject, Pause and Resume are forms posting to the
// remediation API's own handlers: they need the session's CSRF token, act
// as the logged-in person, and come back to the page they were on.
func TestRemediationForms(t *testing.T) {
	s := startReceiver(t, func(c *config.Config) {
		for i := range c.Remediation.Actions {
			if a := &c.Remediation.Actions[i]; a.Name == "activate-backup-servers" {
				a.HTTP.URL = "http://127.0.0.1:1/v1/backends/{service}/backup" // never approved here
			}
		}
	})
	s.fire(t, "ServiceDown", "web", "web-1:9100", time.Minute, nil)
	s.fire(t, "ServiceDown", "api", "api-1:9100", time.Minute, nil)
	c := newConsole(t, s)
	awaiting := s.remediations(t, "state=awaiting_approval")
	if len(awaiting) != 2 {
		t.Fatalf("awaiting approval: %+v", awaiting)
	}
	first, second := awaiting[0], awaiting[1]

	code, page := c.get("/ui/remediation")
	if code != 200 || c.csrf == "" {
		t.Fatalf("remediation page: %d, token %q", code, c.csrf)
	}
	for _, want := range []string{`<span class="badge" title="2 waiting">2</span>`, `action="/api/v1/remediations/` + fmt.Sprint(first.ID) + `/approve"`,
		"PUT http://127.0.0.1:1/v1/backends/web/backup", "PUT http://127.0.0.1:1/v1/backends/api/backup", "/usr/bin/systemctl restart web.service"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}

	approve := fmt.Sprintf("/api/v1/remediations/%d/approve", first.ID)
	if code, _, body := c.post(approve, url.Values{"comment": {"no token"}}); code != http.StatusForbidden || !strings.Contains(body, "CSRF") {
		t.Fatalf("approve without the CSRF token: %d %s", code, body)
	}
	if code, _, _ := c.post(approve, url.Values{"_csrf": {"forged"}}); code != http.StatusForbidden {
		t.Fatalf("approve with a wrong token: %d", code)
	}
	if got := s.remediations(t, "state=awaiting_approval"); len(got) != 2 {
		t.Fatalf("a refused form changed something: %+v", got)
	}

	code, loc, body := c.post(approve, url.Values{"_csrf": {c.csrf}, "comment": {"LB has room"}, "done": {"approved"}, "return": {"/ui/remediation"}})
	if code != http.StatusSeeOther || loc != "/ui/remediation?done=approved" {
		t.Fatalf("approve: %d %q %s", code, loc, body)
	}
	got := s.remediations(t, fmt.Sprintf("incident=%d", first.IncidentID))
	for _, r := range got {
		if r.ID == first.ID && (r.State == store.RemediationAwaitingApproval || r.DecidedBy != "demo" || r.DecisionNote != "LB has room") {
			t.Fatalf("after approving from the console: %+v", r)
		}
	}
	if _, page := c.get(loc); !strings.Contains(page, "Remediation approved") || !strings.Contains(page, `title="1 waiting"`) {
		t.Errorf("after approving the page lacks the flash or the new count")
	}
	// Deciding twice is a conflict, said on a page with a way back.
	if code, _, body := c.post(approve, url.Values{"_csrf": {c.csrf}, "return": {"/ui/incidents/1"}}); code != http.StatusConflict ||
		!strings.Contains(body, "not awaiting approval") || !strings.Contains(body, `href="/ui/incidents/1"`) {
		t.Fatalf("approving again: %d %s", code, body)
	}

	reject := fmt.Sprintf("/api/v1/remediations/%d/reject", second.ID)
	code, loc, _ = c.post(reject, url.Values{"_csrf": {c.csrf}, "comment": {"api is fine"}, "done": {"rejected"},
		"return": {fmt.Sprintf("/ui/incidents/%d", second.IncidentID)}})
	if code != http.StatusSeeOther || loc != fmt.Sprintf("/ui/incidents/%d?done=rejected", second.IncidentID) {
		t.Fatalf("reject: %d %q", code, loc)
	}
	_, page = c.get(loc)
	if !strings.Contains(page, `id="remediation"`) || !strings.Contains(page, "Remediation rejected.") || !strings.Contains(page, "api is fine") {
		t.Errorf("the incident page lacks its remediations or the flash")
	}
	if r := s.remediations(t, "state=rejected"); len(r) != 1 || r[0].ID != second.ID || r[0].DecidedBy != "demo" {
		t.Fatalf("rejected: %+v", r)
	}

	if code, _, _ := c.post("/api/v1/remediations/pause", url.Values{"_csrf": {c.csrf}, "comment": {"LB <migration>"}, "return": {"/ui"}}); code != http.StatusSeeOther {
		t.Fatalf("pause: %d", code)
	}
	for _, path := range []string{"/ui", "/ui/oncall", "/ui/incidents/1", "/ui/gates"} {
		_, page := c.get(path)
		if !strings.Contains(page, `<p class="banner" role="alert">Remediation is paused by demo`) || !strings.Contains(page, "LB &lt;migration&gt;") {
			t.Errorf("%s while paused lacks the banner (escaped)", path)
		}
	}
	if code, _, _ := c.post("/api/v1/remediations/resume", url.Values{"_csrf": {c.csrf}}); code != http.StatusSeeOther {
		t.Fatalf("resume: %d", code)
	}
	if _, page := c.get("/ui"); strings.Contains(page, `class="banner"`) {
		t.Error("the banner stays after resuming")
	}
}
