package gate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/receiver/store"
)

const bearerHeader = "Bearer " + testToken

func TestFlaggerStatuses(t *testing.T) {
	f := newFixture(t, nil)
	payload := `{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"85d557f47b","metadata":{"gate":"go-live","token":"` + testToken + `"}}`

	// proceed: the proceed hooks pass, the rollback hook does not.
	if code, body := f.do(t, "POST", "/api/v1/gates/flagger/proceed", payload); code != http.StatusOK || !strings.HasPrefix(body, "proceed (decision ") {
		t.Fatalf("proceed/proceed: %d %q", code, body)
	}
	if code, body := f.do(t, "POST", "/api/v1/gates/flagger/rollback", payload); code != http.StatusForbidden || !strings.HasPrefix(body, "proceed, not rollback") {
		t.Fatalf("proceed/rollback: %d %q", code, body)
	}

	// hold: neither passes; the body is one line with the reason.
	f.prom.set("latency", 3.5)
	f.clock.Add(2 * time.Minute)
	code, body := f.do(t, "POST", "/api/v1/gates/flagger/proceed", payload)
	if code != http.StatusForbidden || strings.Count(body, "\n") != 1 || !strings.Contains(body, "hold: avg_response_seconds 3.5 > 3") {
		t.Fatalf("hold/proceed: %d %q", code, body)
	}
	if code, _ := f.do(t, "POST", "/api/v1/gates/flagger/rollback", payload); code != http.StatusForbidden {
		t.Fatalf("hold/rollback: %d", code)
	}

	// rollback: the rollback hook passes.
	f.prom.set("errors", 0.2)
	f.clock.Add(2 * time.Minute)
	if code, body := f.do(t, "POST", "/api/v1/gates/flagger/rollback?gate=go-live&token="+testToken, `{"name":"podinfo","metadata":{}}`); code != http.StatusOK || !strings.HasPrefix(body, "rollback") {
		t.Fatalf("rollback/rollback: %d %q", code, body)
	}
	if code, _ := f.do(t, "POST", "/api/v1/gates/flagger/proceed", payload); code != http.StatusForbidden {
		t.Fatalf("rollback/proceed: %d", code)
	}
}

func TestFlaggerBadInput(t *testing.T) {
	f := newFixture(t, nil)
	for _, tt := range []struct {
		target, body string
		code         int
		says         string
	}{
		{"/api/v1/gates/flagger/hold?gate=go-live", `{}`, http.StatusNotFound, `unknown expectation "hold"`},
		{"/api/v1/gates/flagger/proceed", `{"metadata":{"gate":"nope"}}`, http.StatusNotFound, `no gate named "nope"`},
		{"/api/v1/gates/flagger/proceed?gate=go-live", `{"metadata":`, http.StatusBadRequest, "bad Flagger payload"},
		{"/api/v1/gates/flagger/proceed?gate=go-live", `{"metadata":{"token":"wrong"}}`, http.StatusUnauthorized, "invalid gate token"},
		{"/api/v1/gates/flagger/proceed?gate=go-live&token=wrong", `{}`, http.StatusUnauthorized, "invalid gate token"},
	} {
		code, body := f.do(t, "POST", tt.target, tt.body)
		if code != tt.code || !strings.Contains(body, tt.says) {
			t.Errorf("%s %s: %d %q, want %d saying %q", tt.target, tt.body, code, body, tt.code, tt.says)
		}
	}
	if n := f.prom.queries.Load(); n != 0 {
		t.Errorf("rejected requests ran %d queries", n)
	}
}

func TestArgoAndNative(t *testing.T) {
	f := newFixture(t, nil)
	f.prom.set("cpu", 0.95)
	code, body := f.do(t, "POST", "/api/v1/gates/argo", `{"gate":"go-live","rollout":"checkout","namespace":"prod","step":"1"}`,
		"Authorization", "bearer "+testToken, "Content-Type", "application/json")
	if code != http.StatusOK {
		t.Fatalf("argo: %d %s", code, body)
	}
	d := decodeDecision(t, body)
	if d.Decision != engine.Hold || d.ID == 0 || d.Gate != "go-live" || d.EvaluatedAt.IsZero() || len(d.Checks) != 4 {
		t.Fatalf("argo decision: %+v", d)
	}
	cpu := d.Checks[2]
	if cpu.Name != "cpu" || cpu.Value == nil || *cpu.Value != 0.95 || float64(cpu.Threshold) != 0.8 || cpu.Op != ">" || !cpu.Breached {
		t.Errorf("cpu check: %+v", cpu)
	}
	// The same decision from the cache, on the native endpoint.
	code, body = f.do(t, "GET", "/api/v1/gates/go-live", "", "Authorization", bearerHeader)
	if code != http.StatusOK || decodeDecision(t, body).ID != d.ID {
		t.Fatalf("native: %d %s", code, body)
	}
	for _, want := range []string{`"id":`, `"gate":"go-live"`, `"decision":"hold"`, `"reasons":["hold: cpu 0.95 \u003e 0.8"]`, `"checks":[`, `"alerts":[]`, `"incidents":[]`, `"evaluated_at":"2026-01-01T12:00:00Z"`} {
		if !strings.Contains(body, want) {
			t.Errorf("native JSON lacks %s:\n%s", want, body)
		}
	}
	// And stored with its inputs.
	code, body = f.do(t, "GET", "/api/v1/gates/decisions/"+itoa(d.ID), "", "Authorization", bearerHeader)
	if code != http.StatusOK {
		t.Fatalf("decision %d: %d %s", d.ID, code, body)
	}
	if got := decodeDecision(t, body); got.ID != d.ID || got.Checks[2].Query != "cpu" || got.Traffic == nil || *got.Traffic.Value != 10 {
		t.Errorf("stored decision: %+v", got)
	}
	for _, tt := range []struct {
		method, target, body string
		code                 int
	}{
		{"GET", "/api/v1/gates/go-live", "", http.StatusUnauthorized},
		{"GET", "/api/v1/gates/nope", "", http.StatusNotFound},
		{"GET", "/api/v1/gates/decisions/abc", "", http.StatusBadRequest},
		{"GET", "/api/v1/gates/decisions/999", "", http.StatusUnauthorized},
		{"POST", "/api/v1/gates/argo", `{"gate":"go-live"}`, http.StatusUnauthorized},
		{"POST", "/api/v1/gates/argo", `{"gate":`, http.StatusBadRequest},
		{"POST", "/api/v1/gates/argo", `{"gate":"nope"}`, http.StatusNotFound},
	} {
		if code, body := f.do(t, tt.method, tt.target, tt.body); code != tt.code || !strings.Contains(body, `"error":`) {
			t.Errorf("%s %s %s: %d %s, want %d with a JSON error", tt.method, tt.target, tt.body, code, body, tt.code)
		}
	}
	if code, _ := f.do(t, "GET", "/api/v1/gates/decisions/999", "", "Authorization", bearerHeader); code != http.StatusNotFound {
		t.Errorf("unknown decision with a token: %d, want 404", code)
	}
	if strings.Contains(f.logs.String(), testToken) {
		t.Errorf("the token reached the logs:\n%s", f.logs)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestBurstCostsOneRound: concurrent callers share one evaluation, later
// callers within min_interval get it from the cache, and after it a new
// round runs.
func TestBurstCostsOneRound(t *testing.T) {
	f := newFixture(t, nil)
	f.prom.delay = 50 * time.Millisecond
	var wg sync.WaitGroup
	ids := make([]int64, 40)
	for i := range ids {
		wg.Go(func() {
			d, err := f.svc.Evaluate(context.Background(), "go-live")
			if err != nil {
				t.Error(err)
			}
			ids[i] = d.ID
		})
	}
	wg.Wait()
	const round = 5 // four checks and the traffic floor
	if n := f.prom.queries.Load(); n != round {
		t.Fatalf("40 concurrent callers ran %d queries, want %d", n, round)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("callers got different decisions: %v", ids)
		}
	}
	f.clock.Add(59 * time.Second)
	if d, _ := f.svc.Evaluate(context.Background(), "go-live"); d.ID != ids[0] || f.prom.queries.Load() != round {
		t.Fatalf("within min_interval: decision %d, %d queries", d.ID, f.prom.queries.Load())
	}
	f.clock.Add(2 * time.Second)
	if d, _ := f.svc.Evaluate(context.Background(), "go-live"); d.ID == ids[0] || f.prom.queries.Load() != 2*round {
		t.Fatalf("after min_interval: decision %d, %d queries", d.ID, f.prom.queries.Load())
	}
}

func TestPrometheusDownOrSlowHolds(t *testing.T) {
	f := newFixture(t, nil)
	f.prom.delay = 5 * time.Second // beyond the 2s query timeout
	start := time.Now()
	d, err := f.svc.Evaluate(context.Background(), "go-live")
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("a hung Prometheus held the gate for %s", took)
	}
	if d.Decision != engine.Hold || !strings.Contains(strings.Join(d.Reasons, ";"), "did not answer in time") {
		t.Errorf("slow Prometheus: %s %q", d.Decision, d.Reasons)
	}
	f.prom.Close()
	f.clock.Add(2 * time.Minute)
	d, err = f.svc.Evaluate(context.Background(), "go-live")
	if err != nil {
		t.Fatal(err)
	}
	if d.Decision != engine.Hold || !strings.Contains(strings.Join(d.Reasons, ";"), "is not reachable") {
		t.Errorf("Prometheus down: %s %q", d.Decision, d.Reasons)
	}
}

// seed stores firing alerts (and an incident for the first) like the
// ingest pipeline would.
func seed(t *testing.T, st store.Store, prio store.Priority, labelSets ...map[string]string) {
	t.Helper()
	err := st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		w := &store.Webhook{Hash: "h" + time.Now().String(), ReceivedAt: time.Now(), Body: []byte("{}")}
		if _, err := tx.InsertWebhook(ctx, w); err != nil {
			return err
		}
		var occs []store.Occurrence
		for i, l := range labelSets {
			occs = append(occs, store.Occurrence{Fingerprint: "fp" + itoa(int64(i)) + l["alertname"], StartsAt: time.Now(),
				AlertName: l["alertname"], Labels: l, ReceivedAt: time.Now()})
		}
		changes, err := tx.UpsertOccurrences(ctx, w.ID, occs)
		if err != nil {
			return err
		}
		inc := &store.Incident{GroupKey: "g" + time.Now().String(), Title: "checkout errors", Labels: map[string]string{"alertname": labelSets[0]["alertname"]},
			State: store.StateNew, Priority: prio, Cycle: 1, OpenedAt: time.Now(), UpdatedAt: time.Now()}
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		return tx.AttachOccurrences(ctx, inc.ID, []int64{changes[0].ID})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEvidenceFromStore(t *testing.T) {
	st := openStore(t)
	f := newFixture(t, st)
	// A warning elsewhere does not match the gate; a P2 incident is below
	// its floor.
	seed(t, st, store.P2, map[string]string{"alertname": "DiskFull", "severity": "warning", "service": "billing"})
	if d, _ := f.svc.Evaluate(context.Background(), "go-live"); d.Decision != engine.Proceed || len(d.Alerts) != 0 || len(d.Incidents) != 0 {
		t.Fatalf("unrelated evidence: %s %q alerts %v incidents %v", d.Decision, d.Reasons, d.Alerts, d.Incidents)
	}
	// A matching warning holds.
	seed(t, st, store.P3, map[string]string{"alertname": "HTTPLatencyP95High", "severity": "warning", "service": "checkout"})
	f.clock.Add(2 * time.Minute)
	d, _ := f.svc.Evaluate(context.Background(), "go-live")
	if d.Decision != engine.Hold || len(d.Alerts) != 1 || d.Alerts[0].AlertName != "HTTPLatencyP95High" {
		t.Fatalf("matching warning: %s %q %v", d.Decision, d.Reasons, d.Alerts)
	}
	// A P1 incident whose firing alert matches rolls back, though its own
	// group labels do not carry the service.
	seed(t, st, store.P1, map[string]string{"alertname": "HTTPErrorRateHigh", "severity": "ticket", "service": "checkout"})
	f.clock.Add(2 * time.Minute)
	d, _ = f.svc.Evaluate(context.Background(), "go-live")
	if d.Decision != engine.Rollback || len(d.Incidents) != 1 || d.Incidents[0].Priority != "P1" {
		t.Fatalf("P1 incident: %s %q %v", d.Decision, d.Reasons, d.Incidents)
	}
	// The gate without incident rules only sees critical alerts.
	if d, _ := f.svc.Evaluate(context.Background(), "open"); d.Decision != engine.Proceed {
		t.Fatalf("gate open: %s %q", d.Decision, d.Reasons)
	}
}

// failingStore cannot store decisions.
type failingStore struct{ store.Store }

func (failingStore) InsertGateDecision(context.Context, *store.GateDecision) error {
	return errors.New("insert: " + store.ErrUnavailable.Error())
}

func TestStorageDownNeverLooksLikeADecision(t *testing.T) {
	f := newFixture(t, failingStore{openStore(t)})
	if code, body := f.do(t, "POST", "/api/v1/gates/flagger/rollback?gate=go-live&token="+testToken, `{}`); code != http.StatusForbidden || !strings.HasPrefix(body, "hold: no decision") {
		t.Errorf("flagger: %d %q (want 403: no retry storm, no rollback)", code, body)
	}
	if code, _ := f.do(t, "POST", "/api/v1/gates/argo", `{"gate":"go-live","token":"`+testToken+`"}`); code != http.StatusServiceUnavailable {
		t.Errorf("argo: %d, want 503 (a measurement error)", code)
	}
}

func TestStreaksSurviveRestart(t *testing.T) {
	st := openStore(t)
	doc := strings.Replace(testGates, "min_interval: 1m", "min_interval: 1m\n    consecutive: 2", 1)
	f := newFixture(t, st)
	f.prom.set("errors", 0.3)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(testToken), 0o600); err != nil {
		t.Fatal(err)
	}
	build := func() *Service {
		svc, err := New(Options{Section: parseSection(t, fmt.Sprintf(doc, f.prom.URL, tokenFile)), Store: st, Now: f.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	first, _ := build().Evaluate(context.Background(), "go-live")
	if first.Decision != engine.Hold || first.Checks[0].Status != engine.StatusPending {
		t.Fatalf("first breach: %s %+v", first.Decision, first.Checks[0])
	}
	// A new process continues the streak from the stored decision.
	second, _ := build().Evaluate(context.Background(), "go-live")
	if second.Decision != engine.Rollback || second.Checks[0].Streak != 2 {
		t.Fatalf("second breach after restart: %s %+v", second.Decision, second.Checks[0])
	}
}

// Callers waiting on an evaluation share its failure too: a burst during a
// storage outage costs one round of queries, not one per caller.
func TestBurstDuringOutageCostsOneRound(t *testing.T) {
	f := newFixture(t, failingStore{openStore(t)})
	f.prom.delay = 300 * time.Millisecond // every caller arrives while it runs
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for range 20 {
		wg.Go(func() {
			if _, err := f.svc.Evaluate(context.Background(), "go-live"); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed != 20 || f.prom.queries.Load() != 5 {
		t.Fatalf("%d of 20 callers failed, %d queries; want 20 and one round of 5", failed, f.prom.queries.Load())
	}
}
