package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/alertmanager/template"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver"
	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/oncall"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/webhook"
)

// aliceHash is a bcrypt hash (cost 10) of "alice-pw".
const aliceHash = "$2a$10$QQeyaY3DS.dzuA26OC09R.P6EZgtk7aRUSmSdNUusHamRv9jZVfT."

// evilLabel is alert text that must reach the page as text, never markup.
const evilLabel = `<b id="injected">bold</b><img src=x onerror="document.title='pwned'">`

type server struct {
	url   string
	token string
}

// startReceiver serves a receiver on a free loopback port with the
// demo's config, changed by edit.
func startReceiver(t *testing.T, edit func(*config.Config)) server {
	t.Helper()
	cfg, err := config.Load("../../deploy/examples/receiver.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Storage.SQLite.Path = filepath.Join(t.TempDir(), "receiver.db")
	edit(cfg)
	app, err := receiver.New(context.Background(), receiver.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		app.Close()
	})
	return server{url: "http://" + l.Addr().String(), token: cfg.Auth.BearerToken.Value()}
}

// fire posts one alert the way Alertmanager does.
func (s server) fire(t *testing.T, alertname, service, instance string, ago time.Duration, extra map[string]string) {
	t.Helper()
	labels := map[string]string{"alertname": alertname, "service": service, "instance": instance}
	for k, v := range extra {
		labels[k] = v
	}
	m := webhook.Message{Version: "4", GroupKey: fmt.Sprintf(`{}:{alertname=%q}`, alertname)}
	m.Receiver, m.Status, m.ExternalURL = "golive", "firing", "http://127.0.0.1:9093"
	m.Alerts = append(m.Alerts, template.Alert{Status: "firing", Labels: labels, Fingerprint: alertname + instance,
		StartsAt: time.Now().Add(-ago), GeneratorURL: "http://prometheus.example:9090/graph?g0.expr=up+%3D%3D+0",
		Annotations: map[string]string{"summary": instance + " is down", "description": "up == 0 for 30s on " + instance,
			"runbook_url": "https://runbooks.example/" + alertname, "value": "0.9"}})
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.url+receiver.DefaultWebhookPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("webhook: %d %s", resp.StatusCode, b)
	}
}

func (s server) incident(t *testing.T, id int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/incidents/%d", s.url, id), nil)
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Incident map[string]any `json:"incident"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d.Incident
}

// browser starts headless Chromium for the test (one tab).
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := testenv.Tool(t, "GOLIVE_TEST_CHROMIUM", "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()))
	// The whole browser session is bounded: a hung page fails the test,
	// never the suite's timeout.
	base, cancelBase := context.WithTimeout(context.Background(), 90*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc(); cancelBase() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", exe, err)
	}
	return ctx
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(step, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks a button that sends a form and waits for the page the
// answer leads to; it returns that page's status code.
func submit(t *testing.T, ctx context.Context, what, button string) int64 {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(step, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	do(t, ctx, what+": page load", chromedp.WaitVisible(chromedp.CSS("footer")))
	return resp.Status
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// shots writes full-page screenshots at desktop and phone widths into the
// screenshots folder (GOLIVE_SCREENSHOTS, default screenshots/console at
// the repository root; not committed).
func shots(t *testing.T, ctx context.Context, name, url string) {
	t.Helper()
	dir := os.Getenv("GOLIVE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "screenshots", "console")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		do(t, ctx, "sizing for "+name, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("footer")))
		step, cancel := context.WithTimeout(ctx, 15*time.Second)
		png, err := chromedp.Run(step, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			t.Fatalf("screenshot of %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		// Nothing may stick out sideways at either width.
		if over := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			t.Errorf("%s at %s width scrolls sideways", name, size.name)
		}
	}
	do(t, ctx, "desktop size", chromedp.EmulateViewport(1280, 900))
}

// schedule is a rota with someone on now (a 24h shift), a hand-over
// tomorrow and an override coming up.
func schedule(t *testing.T) *oncall.Schedule {
	t.Helper()
	now := time.Now().UTC()
	src := fmt.Sprintf(`
name: ops
timezone: UTC
shifts:
  - {name: all-day, start: "00:00", end: "24:00", rotation: {people: [ann, bob], every: 24h, anchor: "%s"}}
overrides:
  - {who: dana, start: %s, end: %s}
`, now.Format("2006-01-02"), now.Add(5*time.Minute).Format(time.RFC3339), now.Add(35*time.Minute).Format(time.RFC3339))
	var s oncall.Schedule
	if err := yaml.Unmarshal([]byte(src), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestConsoleInBrowser works an incident from the console as an on-call
// engineer does: log in, find the P0 on top with its countdown,
// acknowledge it, add a note, resolve it; and checks that a page on
// another origin cannot post to it and that alert text stays text.
func TestConsoleInBrowser(t *testing.T) {
	s := startReceiver(t, func(c *config.Config) {
		c.Auth = config.Auth{BearerToken: "am-token"}
		c.UI.Users = map[string]secret.Secret{"alice": aliceHash}
		c.UI.AlertmanagerURL = "http://127.0.0.1:9093"
		c.UI.GrafanaURL = "http://127.0.0.1:3000/d/golive-overview"
		c.OnCall.Schedule = schedule(t)
		// The P2's response deadline passes while the test runs.
		c.SLA.Targets[store.P2] = config.Target{Response: model.Duration(2 * time.Second), Resolution: model.Duration(time.Hour)}
	})
	// A P3, a P2 and a P1 opened before the P0: the P0 still comes first.
	s.fire(t, "DiskUsageHigh", "batch", "batch-1:9100", 50*time.Minute, nil)
	s.fire(t, "HTTPLatencyP95High", "api", "api-2:9100", 40*time.Minute, map[string]string{"value": "6"})
	s.fire(t, "HostCPUUsageHigh", "db", "db-1:9100", 25*time.Minute, map[string]string{"value": "0.97"})
	s.fire(t, "ServiceDown", "web", "web-1:9100", 2*time.Minute, map[string]string{"team": evilLabel})
	p0 := 4

	ctx := browser(t)
	do(t, ctx, "the console sends a browser to the login page",
		chromedp.Navigate(s.url+"/ui"), chromedp.WaitVisible(chromedp.ID("username")))
	shots(t, ctx, "login", s.url+"/ui/login")
	do(t, ctx, "typing the password",
		chromedp.SendKeys(chromedp.ID("username"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "alice-pw"))
	if code := submit(t, ctx, "logging in", "form button.primary"); code != 200 {
		t.Fatalf("after login: %d", code)
	}
	if u := text(t, ctx, ".who .user"); u != "alice" {
		t.Fatalf("logged in as %q", u)
	}
	if got := text(t, ctx, "table.incidents tbody tr:first-child .prio"); got != "P0" {
		t.Fatalf("first row is %s, want the P0", got)
	}
	if got := text(t, ctx, "table.incidents tbody tr:first-child .title"); !strings.Contains(got, "ServiceDown") {
		t.Fatalf("first row is %q", got)
	}
	sla := text(t, ctx, "table.incidents tbody tr:first-child .sla")
	if !strings.Contains(sla, "to response") || !strings.HasPrefix(sla, "14m") && !strings.HasPrefix(sla, "13m") {
		t.Fatalf("P0 countdown = %q, want about 14m to response (15m from opening)", sla)
	}
	if got := text(t, ctx, ".counts"); !strings.Contains(got, "1 P0") || !strings.Contains(got, "1 P1") {
		t.Fatalf("counts = %q", got)
	}
	// console.js turns the P2's countdown red when its deadline passes,
	// without a reload.
	do(t, ctx, "the P2 countdown turning red",
		chromedp.Poll[chromedp.Void](`document.querySelector("tr.row-P2 .sla.sla-missed") !== null`, chromedp.WithPollingTimeout(10*time.Second)))
	if got := text(t, ctx, "tr.row-P2 .sla"); !strings.Contains(got, "response missed") {
		t.Fatalf("P2 countdown after its deadline = %q", got)
	}
	shots(t, ctx, "triage", s.url+"/ui")

	do(t, ctx, "the triage view", chromedp.Navigate(s.url+"/ui"), chromedp.WaitVisible(chromedp.CSS("footer")))
	submit(t, ctx, "opening the P0", "table.incidents tbody tr:first-child .title a")
	if st := text(t, ctx, ".facts .state"); st != "new" {
		t.Fatalf("state before = %q", st)
	}
	// Alert text is shown as text: the label's markup is visible, not run.
	labels := text(t, ctx, ".occ .labels")
	if !strings.Contains(labels, `team=<b id="injected">bold</b>`) {
		t.Fatalf("labels = %q, want the markup as text", labels)
	}
	if eval[bool](t, ctx, `document.getElementById("injected") !== null || document.title === "pwned"`) {
		t.Fatal("a label's HTML became part of the page")
	}
	for sel, want := range map[string]string{
		`a[href^="https://runbooks.example/ServiceDown"]`:          "Runbook",
		`a[href^="http://prometheus.example:9090/graph"]`:          "Prometheus graph",
		`a[href^="http://127.0.0.1:9093/#/silences/new?filter="]`:  "Silence in Alertmanager",
		`a[href^="http://127.0.0.1:3000/d/golive-overview?from="]`: "Grafana",
	} {
		if got := text(t, ctx, ".links "+sel); got != want {
			t.Errorf("link %s = %q, want %q", sel, got, want)
		}
	}

	if code := submit(t, ctx, "acknowledging", `section.actions button[value="acknowledged"]`); code != 200 || text(t, ctx, ".flash") != "Acknowledged." {
		t.Fatalf("acknowledging: %d", code)
	}
	if st := text(t, ctx, ".facts .state"); st != "acknowledged" {
		t.Fatalf("state after acknowledging = %q", st)
	}
	last := text(t, ctx, ".timeline li:last-child")
	if !strings.Contains(last, "Acknowledged") || !strings.Contains(last, "alice") {
		t.Fatalf("last timeline entry = %q, want Acknowledged by alice", last)
	}
	if got := text(t, ctx, ".kv tr:first-child td"); !strings.Contains(got, "met at") {
		t.Fatalf("response deadline = %q, want met at …", got)
	}

	const note = "rolled back web-1 to v1.4.2 <not markup>"
	do(t, ctx, "typing a note", chromedp.SendKeys(chromedp.ID("note"), note))
	submit(t, ctx, "adding a note", `form[action$="/notes"] button`)
	if got := text(t, ctx, ".timeline li:last-child .note"); got != note {
		t.Fatalf("last note = %q, want %q", got, note)
	}
	submit(t, ctx, "assigning to me", `form[action$="/assign"].inline button`)
	if got := text(t, ctx, ".facts .assignee"); got != "alice" {
		t.Fatalf("assignee = %q", got)
	}
	shots(t, ctx, "incident", fmt.Sprintf("%s/ui/incidents/%d", s.url, p0))
	shots(t, ctx, "oncall", s.url+"/ui/oncall")
	wantNow, wantNext := "ann", "dana"
	if now := time.Now().UTC(); now.Add(5*time.Minute).Day() != now.Day() {
		wantNext = "bob" // midnight's hand-over comes before the override
	}
	if now, next := text(t, ctx, ".oncall .now .person"), text(t, ctx, ".oncall .next .person"); now != wantNow || next != wantNext {
		t.Errorf("on call now %q, next %q; want %s, then %s", now, next, wantNow, wantNext)
	}

	// Another origin (same host, another port: same-site, so SameSite=Lax
	// sends the session cookie) posts a form at the incident.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/api/v1/incidents/%d/transition">
<input name="state" value="resolved"></form><script>document.getElementById("f").submit()</script>`, s.url, p0)
	}))
	defer evil.Close()
	do(t, ctx, "visiting the other site", chromedp.Navigate(evil.URL),
		chromedp.Poll[chromedp.Void](`document.location.href.startsWith("`+s.url+`") && document.body && document.body.innerText.length > 0`,
			chromedp.WithPollingTimeout(10*time.Second)))
	if body := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(body, "cross-origin request refused") {
		t.Fatalf("the cross-site post got %q", body)
	}
	if st := s.incident(t, p0)["state"]; st != "acknowledged" {
		t.Fatalf("after the cross-site post the incident is %v", st)
	}

	do(t, ctx, "back to the incident", chromedp.Navigate(fmt.Sprintf("%s/ui/incidents/%d", s.url, p0)), chromedp.WaitVisible(chromedp.CSS("footer")))
	submit(t, ctx, "resolving", `section.actions button[value="resolved"]`)
	if st := text(t, ctx, ".facts .state"); st != "resolved" {
		t.Fatalf("state after resolving = %q", st)
	}
	inc := s.incident(t, p0)
	if inc["state"] != "resolved" || inc["assignee"] != "alice" {
		t.Fatalf("API sees %v", inc)
	}
	do(t, ctx, "the triage view drops it", chromedp.Navigate(s.url+"/ui"), chromedp.WaitVisible(chromedp.CSS("table.incidents")))
	if got := text(t, ctx, "table.incidents tbody tr:first-child .prio"); got != "P1" {
		t.Fatalf("after resolving the P0 the first row is %s, want P1", got)
	}
	submit(t, ctx, "logging out", ".who button")
	do(t, ctx, "the login page", chromedp.WaitVisible(chromedp.ID("username")))
	do(t, ctx, "the session is gone", chromedp.Navigate(s.url+"/ui"), chromedp.WaitVisible(chromedp.ID("username")))
}

// TestDemoInBrowser is the README's newcomer: `make run`'s config, no
// password on loopback, acknowledge and resolve from the browser.
func TestDemoInBrowser(t *testing.T) {
	s := startReceiver(t, func(*config.Config) {})
	s.fire(t, "ServiceDown", "web", "web-1:9100", time.Minute, nil)
	ctx := browser(t)
	do(t, ctx, "opening the console", chromedp.Navigate(s.url+"/ui"), chromedp.WaitVisible(chromedp.CSS(".demo")))
	if got := text(t, ctx, ".demo"); !strings.Contains(got, "no password") {
		t.Fatalf("demo banner = %q", got)
	}
	submit(t, ctx, "opening the incident", "table.incidents tbody tr:first-child .title a")
	submit(t, ctx, "acknowledging", `section.actions button[value="acknowledged"]`)
	if last := text(t, ctx, ".timeline li:last-child"); !strings.Contains(last, "Acknowledged") || !strings.Contains(last, "demo") {
		t.Fatalf("last timeline entry = %q", last)
	}
	submit(t, ctx, "resolving", `section.actions button[value="resolved"]`)
	if got := text(t, ctx, ".flash"); got != "Resolved." {
		t.Fatalf("flash = %q", got)
	}
	if st := s.incident(t, 1)["state"]; st != "resolved" {
		t.Fatalf("state = %v", st)
	}
}

// get answers a GET of the receiver's API as JSON into v.
func (s server) get(t *testing.T, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// TestRemediationAndGatesInBrowser: on the demo config a P0 web outage
// plans its remediations; the console shows them with what would run,
// the engineer approves the load balancer call from the browser and it
// runs; pausing shows a banner on every page; the gate page evaluates
// the go-live gate and shows why it says rollback.
func TestRemediationAndGatesInBrowser(t *testing.T) {
	calls := make(chan string, 4)
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls <- r.Method + " " + r.URL.Path
		w.WriteHeader(http.StatusAccepted)
	}))
	defer lb.Close()
	// Traffic is 2 requests/s and every other query answers 0.5: the
	// error rate (> 0.05) breaches, CPU and memory do not.
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := "0.5"
		if strings.Contains(r.FormValue("query"), "http_requests_total") {
			v = "2"
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,%q]}]}}`, time.Now().Unix(), v)
	}))
	defer prom.Close()
	s := startReceiver(t, func(c *config.Config) {
		for i := range c.Remediation.Actions {
			if a := &c.Remediation.Actions[i]; a.Name == "activate-backup-servers" {
				a.HTTP.URL = lb.URL + "/v1/backends/{service}/backup"
			}
		}
		c.Gate.Prometheus.URL = prom.URL
	})
	s.fire(t, "ServiceDown", "web", "web-1:9100", time.Minute, map[string]string{"severity": "critical"})

	ctx := browser(t)
	do(t, ctx, "the remediation page", chromedp.Navigate(s.url+"/ui/remediation"), chromedp.WaitVisible(chromedp.CSS("section.awaiting .run")))
	if got := text(t, ctx, `header nav a[href="/ui/remediation"] .badge`); got != "1" {
		t.Fatalf("nav badge = %q, want 1 awaiting approval", got)
	}
	awaiting := text(t, ctx, "section.awaiting .run")
	wantReq := "PUT " + lb.URL + "/v1/backends/web/backup"
	if !strings.Contains(awaiting, "activate-backup-servers") || !strings.Contains(awaiting, wantReq) || !strings.Contains(awaiting, "#1") {
		t.Fatalf("awaiting approval: %q, want activate-backup-servers for incident #1 with %q", awaiting, wantReq)
	}
	if all := text(t, ctx, "main"); !strings.Contains(all, "restart-web") || !strings.Contains(all, "capture-diagnostics") {
		t.Fatalf("the page lacks the other planned remediations: %q", all)
	}
	shots(t, ctx, "remediation", s.url+"/ui/remediation")

	do(t, ctx, "commenting", chromedp.SendKeys(chromedp.CSS(`section.awaiting form[action$="/approve"] input[name=comment]`), "LB has room"))
	if code := submit(t, ctx, "approving", "section.awaiting button.approve"); code != 200 {
		t.Fatalf("approving: %d", code)
	}
	if got := text(t, ctx, ".flash"); !strings.Contains(got, "approved") {
		t.Fatalf("flash = %q", got)
	}
	var list struct {
		Remediations []store.Remediation `json:"remediations"`
	}
	s.get(t, "/api/v1/remediations?state=awaiting_approval", &list)
	if len(list.Remediations) != 0 {
		t.Fatalf("still awaiting approval after the browser approved: %+v", list.Remediations)
	}
	select {
	case got := <-calls:
		if got != "PUT /v1/backends/web/backup" {
			t.Fatalf("the load balancer got %q", got)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the approved remediation never ran")
	}
	s.get(t, "/api/v1/remediations?incident=1", &list)
	for _, r := range list.Remediations {
		if r.Action == "activate-backup-servers" && (r.DecidedBy != auth.DemoActor || r.DecisionNote != "LB has room") {
			t.Errorf("approval recorded as %q %q", r.DecidedBy, r.DecisionNote)
		}
	}

	do(t, ctx, "the incident page", chromedp.Navigate(s.url+"/ui/incidents/1"), chromedp.WaitVisible(chromedp.CSS("#remediation .run")))
	if n := eval[int](t, ctx, `document.querySelectorAll("#remediation .run").length`); n != len(list.Remediations) || n < 3 {
		t.Fatalf("the incident page shows %d remediations, the API %d", n, len(list.Remediations))
	}
	shots(t, ctx, "incident-remediation", s.url+"/ui/incidents/1")
	for _, r := range list.Remediations {
		if r.Action == "capture-diagnostics" {
			shots(t, ctx, "remediation-run", fmt.Sprintf("%s/ui/remediation/%d", s.url, r.ID))
			if got := text(t, ctx, "h1"); !strings.Contains(got, "capture-diagnostics") {
				t.Errorf("the run's page is titled %q", got)
			}
		}
	}

	do(t, ctx, "the remediation page", chromedp.Navigate(s.url+"/ui/remediation"), chromedp.WaitVisible(chromedp.ID("pause")))
	do(t, ctx, "saying why", chromedp.SendKeys(chromedp.CSS(`form[action$="/pause"] input[name=comment]`), "LB migration"))
	submit(t, ctx, "pausing", "#pause")
	do(t, ctx, "the triage view", chromedp.Navigate(s.url+"/ui"), chromedp.WaitVisible(chromedp.CSS("footer")))
	if got := text(t, ctx, ".banner"); !strings.Contains(got, "paused by demo") || !strings.Contains(got, "LB migration") {
		t.Fatalf("banner while paused = %q", got)
	}
	shots(t, ctx, "remediation-paused", s.url+"/ui/remediation")
	do(t, ctx, "the remediation page", chromedp.Navigate(s.url+"/ui/remediation"), chromedp.WaitVisible(chromedp.ID("resume")))
	submit(t, ctx, "resuming", "#resume")
	if n := eval[int](t, ctx, `document.querySelectorAll(".banner").length`); n != 0 {
		t.Fatal("the banner stays after resuming")
	}

	do(t, ctx, "the gates page", chromedp.Navigate(s.url+"/ui/gates"), chromedp.WaitVisible(chromedp.CSS(`[data-gate="go-live"]`)))
	submit(t, ctx, "evaluating the gate", `[data-gate="go-live"] a.evaluate`)
	if got := text(t, ctx, "h1 .decision"); got != "rollback" {
		t.Fatalf("decision = %q", got)
	}
	if got := text(t, ctx, "main"); !strings.Contains(got, "error_rate") || !strings.Contains(got, "#1 ServiceDown") {
		t.Fatalf("decision page lacks the breached check or the incident: %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("table.checks tr.breached").length`); n == 0 {
		t.Error("no check is marked breached")
	}
	url := eval[string](t, ctx, `document.location.pathname`)
	shots(t, ctx, "gate-decision", s.url+url)
	shots(t, ctx, "gates", s.url+"/ui/gates")
	if got := text(t, ctx, `[data-gate="go-live"] .decision`); got != "rollback" {
		t.Fatalf("the gates page shows %q as the latest decision", got)
	}
}
