package remediate

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/testenv"

	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/sqlite"
)

type countingAction struct {
	idempotent bool
	runs       atomic.Int32
}

func (a *countingAction) Plan(action.Trigger) (action.Request, error) {
	return action.Request{Argv: []string{"/bin/true"}}, nil
}

func (a *countingAction) Run(context.Context, action.Request) (action.Report, bool, error) {
	a.runs.Add(1)
	return action.Report{Output: "ok"}, false, nil
}

func (a *countingAction) Idempotent() bool { return a.idempotent }

// After a crash mid-attempt (the row is running, its job is claimable
// again), an idempotent action runs again and a non-idempotent one is
// marked unknown without running.
func TestInterruptedAttempt(t *testing.T) {
	for _, idempotent := range []bool{true, false} {
		s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db")})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		act := &countingAction{idempotent: idempotent}
		e, _ := New(Config{}, Options{Store: s})
		e.actions["a"] = &compiled{cfg: ActionConfig{Name: "a", Kind: "exec"}, act: act}
		now := time.Now()
		var r store.Remediation
		err = s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			inc := &store.Incident{GroupKey: "g", Title: "t", Labels: map[string]string{}, State: store.StateNew, Priority: store.P0,
				Cycle: 1, OpenedAt: now, UpdatedAt: now}
			if err := tx.CreateIncident(ctx, inc); err != nil {
				return err
			}
			r = store.Remediation{Key: "k", IncidentID: inc.ID, Cycle: 1, Action: "a", Kind: "exec", Target: "x", Trigger: "opened",
				State: store.RemediationRunning, Idempotent: idempotent, Attempts: 1, Request: mustJSON(action.Request{}),
				CreatedAt: now, UpdatedAt: now, StartedAt: now}
			_, err := tx.InsertRemediation(ctx, &r)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Handle(context.Background(), store.OutboxItem{Key: "job", Payload: mustJSON(jobPayload{ID: r.ID})}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Remediation(context.Background(), r.ID)
		switch {
		case idempotent && (act.runs.Load() != 1 || got.State != store.RemediationSucceeded || got.Attempts != 2):
			t.Errorf("idempotent: runs %d, state %s, attempts %d; want a second attempt", act.runs.Load(), got.State, got.Attempts)
		case !idempotent && (act.runs.Load() != 0 || got.State != store.RemediationUnknown):
			t.Errorf("non-idempotent: runs %d, state %s; want unknown without a run", act.runs.Load(), got.State)
		}
		// A duplicate job of a decided row does nothing.
		e.Handle(context.Background(), store.OutboxItem{Key: "job", Payload: mustJSON(jobPayload{ID: r.ID})})
		if n := act.runs.Load(); (idempotent && n != 1) || (!idempotent && n != 0) {
			t.Errorf("idempotent=%v: a duplicate job ran the action (%d runs)", idempotent, n)
		}
	}
}

// verifyEngine is an engine whose only module is http_2xx, decoded from
// YAML as a config file's would be.
func verifyEngine(t *testing.T) *Engine {
	t.Helper()
	var c Config
	if err := yaml.Unmarshal([]byte("modules: {http_2xx: {prober: http, timeout: 5s}}"), &c); err != nil {
		t.Fatal(err)
	}
	e, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The post-check runs the exporter's prober in-process: success when the
// probe turns successful, failure with the prober's own reason when it
// never does.
func TestVerifyRunsTheProber(t *testing.T) {
	var calls atomic.Int32
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer web.Close()
	e := verifyEngine(t)
	v := &Verify{Probe: &Probe{Module: "http_2xx", Target: web.URL + "/health"}, Timeout: model.Duration(10 * time.Second)}
	verdict, err := e.verify(t.Context(), v)
	if err != nil || !strings.Contains(verdict, "probe http_2xx of "+web.URL+"/health: probe_success 1 on try 2") {
		t.Fatalf("verdict %q, %v", verdict, err)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	v = &Verify{Probe: &Probe{Module: "http_2xx", Target: down.URL}, Timeout: model.Duration(time.Second)}
	verdict, err = e.verify(t.Context(), v)
	if err == nil || !strings.Contains(verdict, "probe_success 0") || !strings.Contains(verdict, "503") {
		t.Fatalf("a 503: verdict %q, %v", verdict, err)
	}
}

// A target that accepts and never answers does not hold the post-check
// past its timeout, though the module would wait longer.
func TestVerifyProbeBoundedByTimeout(t *testing.T) {
	e := verifyEngine(t)
	v := &Verify{Probe: &Probe{Module: "http_2xx", Target: "http://" + testenv.SilentListener(t) + "/health"},
		Timeout: model.Duration(time.Second)}
	start := time.Now()
	verdict, err := e.verify(t.Context(), v)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the post-check took %s with a 1s timeout", took)
	}
	if err == nil || !strings.Contains(err.Error(), "post-check failed") || !strings.Contains(verdict, "probe_success 0") {
		t.Fatalf("a hung target: verdict %q, %v", verdict, err)
	}
}
