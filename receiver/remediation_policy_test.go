package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/store"
)

func postJSON(t *testing.T, url, body string) (int, string) {
	t.Helper()
	return post(t, url, []byte(body))
}

// Approval: the request waits, is listed and counted, refuses a form
// post, runs once approved; a rejected one never runs; pausing stops new
// plans and says so in a metric.
func TestApprovalRejectAndPause(t *testing.T) {
	m := filepath.Join(t.TempDir(), "markers")
	cfg := remedyConfig(demoConfig(t), m, "0s")
	cfg.Remediation.Actions[0].Approval = "required"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, cfg)
	starts := time.Now().Add(-time.Minute)
	post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", starts, "web", "api"))
	code, body := get(t, a.url+"/api/v1/remediations?state=awaiting_approval")
	var list remediate.List
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Remediations) != 2 {
		t.Fatalf("awaiting: %d %s", code, body)
	}
	if got := gaugeOf(t, a, "golive_remediation_awaiting_approval"); got != 2 {
		t.Fatalf("awaiting metric = %v", got)
	}
	first, second := list.Remediations[0], list.Remediations[1]
	if tl := timelineKinds(t, a.Store(), first.IncidentID); !slices.Contains(tl, remediate.EventAwaitingApproval) ||
		!slices.Contains(tl, EventRemediationEscalated) {
		t.Fatalf("timeline %v: the request and the page asking for approval are missing", tl)
	}
	if code, _ := post(t, fmt.Sprintf("%s/api/v1/remediations/%d/approve", a.url, first.ID), []byte(`{"actor":"x"}`),
		"Content-Type", "text/plain"); code != 415 {
		t.Fatalf("a text/plain approval: %d, want 415", code)
	}
	if code, body := postJSON(t, fmt.Sprintf("%s/api/v1/remediations/%d/approve", a.url, first.ID), `{}`); code != 400 {
		t.Fatalf("approval without actor: %d %s", code, body)
	}
	if code, body := postJSON(t, fmt.Sprintf("%s/api/v1/remediations/%d/approve", a.url, first.ID), `{"actor":"alice","comment":"go"}`); code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	if code, body := postJSON(t, fmt.Sprintf("%s/api/v1/remediations/%d/reject", a.url, second.ID), `{"actor":"bob","comment":"not now"}`); code != 200 {
		t.Fatalf("reject: %d %s", code, body)
	}
	if code, _ := postJSON(t, fmt.Sprintf("%s/api/v1/remediations/%d/approve", a.url, second.ID), `{"actor":"alice"}`); code != 409 {
		t.Fatalf("approving a rejected request: %d, want 409", code)
	}
	eventually(t, "the approved action never ran", func() bool {
		r, _ := a.Store().Remediation(context.Background(), first.ID)
		return r.State == store.RemediationSucceeded && r.DecidedBy == "alice"
	})
	if got := markers(t, m); len(got) != 1 {
		t.Fatalf("runs = %q, want the approved one only", got)
	}

	if code, body := postJSON(t, a.url+"/api/v1/remediations/pause", `{"actor":"carol","comment":"maintenance"}`); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	if got := gaugeOf(t, a, "golive_remediation_paused"); got != 1 {
		t.Fatalf("paused metric = %v", got)
	}
	post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", starts, "shop"))
	rs, _ := a.Store().ListRemediations(context.Background(), store.RemediationFilter{State: store.RemediationSkipped})
	if len(rs) != 1 || !strings.Contains(rs[0].Reason, "paused by carol: maintenance") {
		t.Fatalf("plan while paused = %+v", rs)
	}
	postJSON(t, a.url+"/api/v1/remediations/resume", `{"actor":"carol"}`)
	if got := gaugeOf(t, a, "golive_remediation_paused"); got != 0 {
		t.Fatalf("paused metric after resume = %v", got)
	}
}

// An approval request lapses at its expiry; approving it then is refused.
func TestApprovalExpires(t *testing.T) {
	cfg := remedyConfig(demoConfig(t), filepath.Join(t.TempDir(), "m"), "0s")
	cfg.Remediation.Actions[0].Approval = "required"
	cfg.Remediation.ApprovalExpiry = model.Duration(time.Millisecond)
	a := startApp(t, cfg)
	post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "web"))
	r := remediations(t, a.Store())[0]
	time.Sleep(5 * time.Millisecond)
	code, body := postJSON(t, fmt.Sprintf("%s/api/v1/remediations/%d/approve", a.url, r.ID), `{"actor":"alice"}`)
	if code != 409 || !strings.Contains(body, "expired") {
		t.Fatalf("late approval: %d %s", code, body)
	}
	if r, _ := a.Store().Remediation(context.Background(), r.ID); r.State != store.RemediationExpired {
		t.Fatalf("state = %s, want expired", r.State)
	}
}

// A budget spent escalates to a person instead of looping; a dry run
// records what would run and counts toward the cooldown.
func TestBudgetEscalatesAndDryRunHolds(t *testing.T) {
	m := filepath.Join(t.TempDir(), "markers")
	cfg := remedyConfig(demoConfig(t), m, "0s")
	cfg.Remediation.Actions = append(cfg.Remediation.Actions, cfg.Remediation.Actions[0])
	dry := &cfg.Remediation.Actions[1]
	dry.Name, dry.DryRun, dry.Cooldown, dry.MaxAttempts = "restart-dry", true, model.Duration(time.Hour), remediate.Budget{}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, cfg)
	// ServiceDown of a non-web service grades P3; people then escalate it.
	post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "shop"))
	eventually(t, "the first run never finished", func() bool { return len(markers(t, m)) == 1 })
	inc := remediations(t, a.Store())[0].IncidentID
	for _, p := range []string{"P1", "P0"} {
		if code, body := postJSON(t, fmt.Sprintf("%s/api/v1/incidents/%d/priority", a.url, inc), `{"priority":"`+p+`","actor":"dave"}`); code != 200 {
			t.Fatalf("priority %s: %d %s", p, code, body)
		}
	}
	time.Sleep(300 * time.Millisecond)
	got := map[string]int{}
	var dryReq []byte
	for _, r := range remediations(t, a.Store()) {
		got[r.Action+"/"+string(r.State)]++
		if r.State == store.RemediationDryRun {
			dryReq = r.Request
		}
		if r.State == store.RemediationSkipped && r.Action == "restart-web" && !strings.Contains(r.Reason, "budget exhausted") {
			t.Errorf("skipped for %q, want the budget", r.Reason)
		}
	}
	want := map[string]int{"restart-web/succeeded": 1, "restart-web/skipped": 2, "restart-dry/dry_run": 1, "restart-dry/skipped": 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("remediations by state = %v, want %v", got, want)
	}
	if !strings.Contains(string(dryReq), `"shop"`) || !strings.Contains(string(dryReq), "argv") {
		t.Fatalf("the dry run did not record the argv: %s", dryReq)
	}
	if n := len(markers(t, m)); n != 1 {
		t.Fatalf("the program ran %d times", n)
	}
	tl := timelineKinds(t, a.Store(), inc)
	if n := count(tl, EventRemediationEscalated); n != 2 {
		t.Fatalf("%d escalations in %v, want one per exhausted plan", n, tl)
	}
	if got := gaugeOf(t, a, "golive_remediation_budget_exhaustions_total"); got != 2 {
		t.Fatalf("budget exhaustions = %v", got)
	}
}

func count[T comparable](s []T, v T) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// gaugeOf sums every series of the named metric.
func gaugeOf(t *testing.T, a *testApp, name string) float64 {
	t.Helper()
	mfs, err := a.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return sum
}

// The `make run` config as shipped: a newcomer's P0 web outage shows its
// planned actions in the incident, the API and the CLI, and nothing that
// would touch the machine runs.
func TestDemoConfigPlansR55ForAWebOutage(t *testing.T) {
	a := startApp(t, demoConfig(t))
	if code, msg := post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "web")); code != 200 {
		t.Fatalf("webhook: %d %s", code, msg)
	}
	eventually(t, "diagnostics never finished", func() bool {
		rs, _ := a.Store().ListRemediations(context.Background(), store.RemediationFilter{State: store.RemediationSucceeded})
		return len(rs) == 1
	})
	got := map[string]store.RemediationState{}
	var inc int64
	for _, r := range remediations(t, a.Store()) {
		got[r.Action], inc = r.State, r.IncidentID
	}
	want := map[string]store.RemediationState{"restart-web": store.RemediationDryRun,
		"activate-backup-servers": store.RemediationAwaitingApproval, "capture-diagnostics": store.RemediationSucceeded}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("remediations = %v, want %v", got, want)
	}
	evs, _ := a.Store().Timeline(context.Background(), inc)
	notes := ""
	for _, e := range evs {
		notes += e.Note + "\n"
	}
	if !strings.Contains(notes, "attachments") {
		t.Errorf("the timeline does not show the diagnostics' outcome:\n%s", notes)
	}
	if !strings.Contains(notes, "would run: /usr/bin/systemctl restart web.service") {
		t.Errorf("the timeline does not say what the dry run would run:\n%s", notes)
	}
	tl := timelineKinds(t, a.Store(), inc)
	for _, k := range []store.EventKind{remediate.EventDryRun, remediate.EventAwaitingApproval, remediate.EventSucceeded} {
		if !slices.Contains(tl, k) {
			t.Errorf("timeline lacks %s: %v", k, tl)
		}
	}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := RemediationCommand(context.Background(), envFor(&out, &errb, append([]string{"--receiver.url=" + a.url}, args...)...))
		return code, out.String() + errb.String()
	}
	code, out := run("list", "--state", "awaiting_approval")
	if code != 0 || !strings.Contains(out, "activate-backup-servers") || !strings.Contains(out, "PUT http://127.0.0.1:5555/v1/backends/web/backup") ||
		strings.Contains(out, "restart-web") {
		t.Fatalf("remediation list: %d\n%s", code, out)
	}
	code, out = run("list", "--incident", fmt.Sprint(inc), "--output", "json")
	if code != 0 || !strings.Contains(out, `"/usr/bin/systemctl"`) || !strings.Contains(out, `"web.service"`) {
		t.Fatalf("the dry run's argv is not in the API: %d\n%s", code, out)
	}
	var id int64
	for _, r := range remediations(t, a.Store()) {
		if r.Action == "activate-backup-servers" {
			id = r.ID
		}
	}
	if code, out := run("reject", fmt.Sprint(id), "--actor", "newcomer", "--comment", "demo"); code != 0 || !strings.Contains(out, "rejected") {
		t.Fatalf("remediation reject: %d %s", code, out)
	}
	if code, out := run("pause", "--comment", "demo"); code != 0 || !strings.Contains(out, "paused: true") {
		t.Fatalf("remediation pause: %d %s", code, out)
	}
	if code, out := run("bogus"); code != 2 || !strings.Contains(out, `expected command but got "bogus"`) {
		t.Fatalf("unknown verb: %d %s", code, out)
	}
}

// A post-check that fails makes the attempt a failure and asks a person;
// the action is not run again.
func TestFailedPostCheckEscalates(t *testing.T) {
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer health.Close()
	m := filepath.Join(t.TempDir(), "markers")
	cfg := remedyConfig(demoConfig(t), m, "0s")
	cfg.Remediation.Actions[0].Verify = &remediate.Verify{URL: health.URL + "/health", Timeout: model.Duration(time.Second)}
	a := startApp(t, cfg)
	post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "web"))
	eventually(t, "the attempt never failed", func() bool {
		rs := remediations(t, a.Store())
		return len(rs) == 1 && rs[0].State == store.RemediationFailed
	})
	r := remediations(t, a.Store())[0]
	if !strings.Contains(r.Reason, "post-check failed") || !strings.Contains(string(r.Result), "status 503") {
		t.Fatalf("remediation = %s %q %s", r.State, r.Reason, r.Result)
	}
	if tl := timelineKinds(t, a.Store(), r.IncidentID); !slices.Contains(tl, EventRemediationEscalated) {
		t.Fatalf("timeline %v lacks the escalation", tl)
	}
	if n := len(markers(t, m)); n != 1 {
		t.Fatalf("the program ran %d times", n)
	}
}

// A verify.probe post-check runs the exporter's prober in the receiver:
// a healthy target makes the attempt a success with the probe's verdict in
// the timeline, a 503 a failure escalated to a person, and the action runs
// once either way.
func TestProbePostCheck(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		state  store.RemediationState
		want   string
	}{
		"healthy": {http.StatusOK, store.RemediationSucceeded, "probe_success 1 on try 1"},
		"503":     {http.StatusServiceUnavailable, store.RemediationFailed, "Invalid HTTP response status code"},
	} {
		t.Run(name, func(t *testing.T) {
			health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(c.status)
			}))
			defer health.Close()
			m := filepath.Join(t.TempDir(), "markers")
			cfg := remedyConfig(demoConfig(t), m, "0s")
			if err := yaml.Unmarshal([]byte("health: {prober: http, timeout: 2s}"), &cfg.Remediation.Modules); err != nil {
				t.Fatal(err)
			}
			cfg.Remediation.Actions[0].Verify = &remediate.Verify{
				Probe:   &remediate.Probe{Module: "health", Target: health.URL + "/health"},
				Timeout: model.Duration(time.Second)}
			a := startApp(t, cfg)
			post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "web"))
			eventually(t, "the attempt never finished", func() bool {
				rs := remediations(t, a.Store())
				return len(rs) == 1 && rs[0].State.Final()
			})
			r := remediations(t, a.Store())[0]
			if r.State != c.state || !strings.Contains(string(r.Result), "probe health of "+health.URL+"/health") ||
				!strings.Contains(string(r.Result), c.want) {
				t.Fatalf("remediation = %s %q %s", r.State, r.Reason, r.Result)
			}
			escalated := slices.Contains(timelineKinds(t, a.Store(), r.IncidentID), EventRemediationEscalated)
			if escalated != (c.state == store.RemediationFailed) {
				t.Fatalf("%s: escalated = %v", r.State, escalated)
			}
			if n := len(markers(t, m)); n != 1 {
				t.Fatalf("the program ran %d times", n)
			}
		})
	}
}

// A reload while an attempt runs does not cut it short (it would become
// unknown): the remediation worker outlives config generations.
func TestReloadDoesNotInterruptAnAttempt(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "markers")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`remediation:
  actions:
    - name: slow
      when: {priorities: [P0, P1, P2, P3]}
      kind: exec
      exec:
        argv: [%q, "-test.run=^$", "{service}"]
        env: {%s: %q, %s: "1500ms"}
        substitutions: {service: {label: service, allow: "[a-z]+"}}
      max_attempts: {per_incident: 1}
`, self, helperMarkersEnv, m, helperSleepEnv)
	path := writeDemo(t, dir, func(s string) string { return s[:strings.Index(s, "\nremediation:")+1] + policy })
	cfg, err := LoadChecked(path)
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(context.Background(), Options{Config: cfg, ConfigFile: path})
	if err != nil {
		t.Fatal(err)
	}
	url := serveApp(t, app)
	post(t, url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "web"))
	eventually(t, "the attempt never started", func() bool { return len(markers(t, m)) == 1 })
	if err := app.Reload(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the attempt never finished", func() bool {
		rs := remediations(t, app.Store())
		return len(rs) == 1 && rs[0].State.Final()
	})
	if r := remediations(t, app.Store())[0]; r.State != store.RemediationSucceeded {
		t.Fatalf("after a reload mid-attempt: %s %q, want succeeded", r.State, r.Reason)
	}
}
