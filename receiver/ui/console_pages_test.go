package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/gate"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/store"
)

const markup = `<script>alert(1)</script>`

// Values from alert labels reach the remediation page as text: an argv
// element, a URL, the output. Credential-named headers never show.
func TestRemediationRunEscapesAndRedacts(t *testing.T) {
	u, err := New(Options{Auth: auth.New(auth.Options{Disabled: true}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := newRemediationPage(u)
	if err != nil {
		t.Fatal(err)
	}
	exit := 1
	req, _ := json.Marshal(action.Request{Argv: []string{"/usr/bin/echo", markup}, Method: "PUT", URL: "http://lb/" + markup,
		Headers: map[string]string{"Authorization": "Bearer s3cret", "X-Api-Key": "k3y", "X-Service": markup}})
	res, _ := json.Marshal(action.Report{ExitCode: &exit, Output: strings.Repeat("x", listOutputBytes) + markup})
	rem := store.Remediation{ID: 7, IncidentID: 3, Action: "echo" + markup, Kind: "exec", State: store.RemediationAwaitingApproval,
		Request: req, Result: res, Reason: markup}
	for _, c := range []struct {
		name string
		b    remediationBody
	}{
		{"list", remediationBody{Groups: groupRuns([]store.Remediation{rem}, listOutputBytes), CSRF: "tok"}},
		{"one", remediationBody{Run: ptr(viewRun(rem, runOutputBytes)), CSRF: "tok"}},
	} {
		var sb strings.Builder
		if err := rp.t.ExecuteTemplate(&sb, c.name, c.b); err != nil {
			t.Fatal(err)
		}
		page := sb.String()
		if strings.Contains(page, markup) || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: label text not escaped:\n%s", c.name, page)
		}
		if strings.Contains(page, "s3cret") || strings.Contains(page, "k3y") {
			t.Errorf("%s: a credential reached the page", c.name)
		}
		if !strings.Contains(page, `action="/api/v1/remediations/7/approve"`) || !strings.Contains(page, `name="_csrf" value="tok"`) {
			t.Errorf("%s: no approve form with the token", c.name)
		}
	}
	if got := viewRun(rem, listOutputBytes); !got.Cut || len(got.Output) != listOutputBytes {
		t.Errorf("list output: %d bytes, cut %v", len(got.Output), got.Cut)
	}
	if got := viewRun(rem, runOutputBytes); got.Cut || !strings.HasSuffix(got.Output, markup) {
		t.Errorf("the run's page shortened the stored output")
	}
	if s, cut := bound("héllo", 2); s != "h" || !cut {
		t.Errorf("bound cut inside a rune: %q", s)
	}
}

func ptr[T any](v T) *T { return &v }

// fakeGates is a gate service with stored decisions and a count of
// evaluations.
type fakeGates struct {
	decisions map[int64]gate.Decision
	latest    map[string]int64
	evals     int
	fail      bool
}

func (f *fakeGates) Names() []string { return []string{"go-live", "canary"} }
func (f *fakeGates) Latest(_ context.Context, name string) (gate.Decision, error) {
	if f.fail {
		return gate.Decision{}, store.ErrUnavailable
	}
	id, ok := f.latest[name]
	if !ok {
		return gate.Decision{}, store.ErrNotFound
	}
	return f.decisions[id], nil
}
func (f *fakeGates) Lookup(_ context.Context, id int64) (gate.Decision, error) {
	d, ok := f.decisions[id]
	if !ok {
		return gate.Decision{}, store.ErrNotFound
	}
	return d, nil
}
func (f *fakeGates) Evaluate(_ context.Context, name string) (gate.Decision, error) {
	if name != "go-live" && name != "canary" {
		return gate.Decision{}, fmt.Errorf("%w %q", gate.ErrUnknownGate, name)
	}
	f.evals++
	id := int64(100 + f.evals)
	v := engine.Value(0.02)
	f.decisions[id] = gate.Decision{ID: id, Gate: name, Result: engine.Result{Decision: engine.Proceed,
		Checks: []engine.CheckResult{{Name: "error_rate", Query: "max(x)", Op: ">", Threshold: 0.05, Value: &v, Status: engine.StatusOK}}}}
	f.latest[name] = id
	return f.decisions[id], nil
}

func TestGatesPage(t *testing.T) {
	a := auth.New(auth.Options{Disabled: true}, nil)
	u, err := New(Options{Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	v := engine.Value(0.31)
	g := &fakeGates{latest: map[string]int64{"go-live": 9}, decisions: map[int64]gate.Decision{9: {ID: 9, Gate: "go-live", Result: engine.Result{
		Decision: engine.Rollback, Reasons: []string{"rollback: error_rate 0.31 > 0.05"},
		Checks: []engine.CheckResult{{Name: "error_rate", Query: `max(rate(x{job="` + markup + `"}[5m]))`, Op: ">", Threshold: 0.05, Value: &v,
			Breached: true, Streak: 2, Status: engine.StatusBreached, Effect: engine.Rollback, OnBreach: engine.Rollback},
			{Name: "cpu", Query: "max(cpu)", Op: ">", Threshold: 0.8, Status: engine.StatusNoData, Effect: engine.Hold}},
		Alerts:    []engine.Alert{{AlertName: "ServiceDown", Severity: "critical", Labels: map[string]string{"team": markup}, IncidentID: 4}},
		Incidents: []engine.Incident{{ID: 4, Title: "down " + markup, Priority: "P0", State: "new"}}}}}}
	pg, err := u.GatesPage(g)
	if err != nil {
		t.Fatal(err)
	}
	u.AddPage(pg)
	mux := http.NewServeMux()
	u.Register(mux)
	h := a.Wrap(mux)
	get := func(path string) (int, string, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		b, _ := io.ReadAll(rec.Result().Body)
		return rec.Code, rec.Header().Get("Location"), string(b)
	}
	code, _, page := get("/ui/gates")
	if code != 200 {
		t.Fatalf("/ui/gates: %d %s", code, page)
	}
	for _, want := range []string{`<a href="/ui/gates" class="active" aria-current="page">Gates</a>`,
		`<span class="decision d-rollback">rollback</span>`, "rollback: error_rate 0.31 &gt; 0.05", `<td data-label="Value">0.31`,
		`<code>&gt; 0.05</code>`, "2 in a row", "no data", `href="/ui/incidents/4"`, `href="/ui/gates/evaluate/canary"`,
		"No decision yet"} {
		if !strings.Contains(page, want) {
			t.Errorf("gates page lacks %s", want)
		}
	}
	if strings.Contains(page, markup) {
		t.Error("label text reached the gates page as markup")
	}
	if g.evals != 0 {
		t.Fatal("listing the gates evaluated one")
	}

	code, loc, _ := get("/ui/gates/evaluate/canary")
	if code != http.StatusSeeOther || loc != "/ui/gates/decisions/101?evaluated=1" || g.evals != 1 {
		t.Fatalf("evaluate now: %d %q, %d evaluations", code, loc, g.evals)
	}
	code, _, page = get(loc)
	if code != 200 || !strings.Contains(page, "Gate canary answered proceed.") || !strings.Contains(page, "decision #101") {
		t.Fatalf("decision page: %d %s", code, page)
	}
	if code, _, _ := get("/ui/gates/evaluate/nope"); code != http.StatusNotFound {
		t.Errorf("evaluating an unknown gate: %d", code)
	}
	for path, want := range map[string]int{"/ui/gates/decisions/77": 404, "/ui/gates/decisions/x": 400, "/ui/gates/decisions/9": 200} {
		if code, _, _ := get(path); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
	g.fail = true
	if code, _, page := get("/ui/gates"); code != 200 || !strings.Contains(page, "storage unavailable") {
		t.Errorf("gates page with storage down: %d", code)
	}
}
