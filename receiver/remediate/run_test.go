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

// The post-check through the exporter's /probe: success when probe_success
// turns 1, failure with the exporter's verdict when it never does.
func TestVerifyThroughTheExporterProbe(t *testing.T) {
	var calls atomic.Int32
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/probe" || r.URL.Query().Get("module") != "http_2xx" || r.URL.Query().Get("target") != "http://web:8080/health" {
			http.Error(w, "unknown module", http.StatusBadRequest)
			return
		}
		if calls.Add(1) < 2 {
			io.WriteString(w, "# TYPE probe_success gauge\nprobe_success 0\n")
			return
		}
		io.WriteString(w, "probe_duration_seconds 0.01\nprobe_success 1\n")
	}))
	defer exporter.Close()
	e, _ := New(Config{}, Options{})
	v := &Verify{Probe: &Probe{Exporter: exporter.URL, Module: "http_2xx", Target: "http://web:8080/health"}, Timeout: model.Duration(10 * time.Second)}
	verdict, err := e.verify(context.Background(), v)
	if err != nil || !strings.Contains(verdict, "probe http_2xx of http://web:8080/health: probe_success 1 on try 2") {
		t.Fatalf("verdict %q, %v", verdict, err)
	}
	v.Probe.Module, v.Timeout = "nope", model.Duration(time.Second)
	verdict, err = e.verify(context.Background(), v)
	if err == nil || !strings.Contains(verdict, "exporter answered 400: unknown module") {
		t.Fatalf("unknown module: verdict %q, %v", verdict, err)
	}
}
