package client

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/rollout"
	"github.com/golive-ops/golive/receiver/store"
)

const goodPlan = `gate: go-live
traffic:
  haproxy: {address: "unix:/run/haproxy/admin.sock", backend: app, current: [old], candidate: [new]}
stages: [{percent: 10, observe: 1m}, {percent: 100, observe: 1m}]
`

// fakeReceiver answers the rollout API: the plan is accepted, then every
// GET moves it one event further, ending in final.
func fakeReceiver(t *testing.T, final store.RolloutState, refuse string) (*httptest.Server, *atomic.Value) {
	t.Helper()
	var gotType atomic.Value
	var gets atomic.Int64
	plan, _ := json.Marshal(map[string]any{"name": "go-live", "gate": "go-live",
		"stages": []map[string]any{{"percent": 10, "observe": "1m"}, {"percent": 100, "observe": "1m"}}})
	base := store.Rollout{ID: 7, Name: "go-live", Gate: "go-live", State: store.RolloutRunning, Step: 0, StepPhase: "observing",
		StepStartedAt: time.Now(), Plan: plan}
	events := []store.RolloutEvent{
		{ID: 1, Kind: "stage_applying", Step: 0, Note: "stage 1 (10%)"},
		{ID: 2, Kind: "traffic_change", Step: 0, Before: json.RawMessage(`{"old":100}`), After: json.RawMessage(`{"new":20}`)},
		{ID: 3, Kind: "decision", Step: 0, DecisionID: 41, Decision: "proceed"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/rollouts", func(w http.ResponseWriter, r *http.Request) {
		gotType.Store(r.Header.Get("Content-Type"))
		_, _ = io.ReadAll(r.Body)
		if refuse != "" {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": refuse})
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(rollout.Render(base, nil))
	})
	mux.HandleFunc("GET /api/v1/rollouts/7", func(w http.ResponseWriter, _ *http.Request) {
		n := int(gets.Add(1))
		ro := base
		evs := events[:min(n, len(events))]
		if n > len(events) {
			ro.State, ro.Reason = final, "the end"
			evs = append(evs, store.RolloutEvent{ID: 4, Kind: string(final), Step: 0, Note: "the end"})
		}
		_ = json.NewEncoder(w).Encode(rollout.Render(ro, evs))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &gotType
}

func runRollout(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out strings.Builder
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	code := RolloutCommand(t.Context(), cli.Env{Args: args, Stdout: &out, Stderr: &out})
	return code, out.String()
}

func TestRolloutStartWait(t *testing.T) {
	planFile := filepath.Join(t.TempDir(), "plan.yml")
	if err := os.WriteFile(planFile, []byte(goodPlan), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		final store.RolloutState
		code  int
	}{{store.RolloutSucceeded, cli.ExitOK}, {store.RolloutRolledBack, cli.ExitFailure}} {
		srv, ct := fakeReceiver(t, tc.final, "")
		code, out := runRollout(t, "--receiver.url", srv.URL, "start", "--plan", planFile, "--wait", "--wait.interval", "10ms")
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d:\n%s", tc.final, code, tc.code, out)
		}
		for _, want := range []string{"rollout 7 (go-live) started", "stage 1 (10%): traffic changed", "gate decision 41: proceed", "left in the window of stage 1", string(tc.final)} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", tc.final, want, out)
			}
		}
		if ct.Load() != "application/yaml" {
			t.Errorf("plan sent as %v", ct.Load())
		}
	}
}

func TestRolloutStartBadPlan(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte(strings.Replace(goodPlan, "percent: 10,", "percent: 120,", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, _ := fakeReceiver(t, store.RolloutSucceeded, "")
	if code, out := runRollout(t, "--receiver.url", srv.URL, "start", "--plan", bad, "--wait"); code != cli.ExitUsage || !strings.Contains(out, "stages[0].percent: 120") {
		t.Errorf("locally bad plan: exit %d:\n%s", code, out)
	}
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte(goodPlan), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, _ = fakeReceiver(t, store.RolloutSucceeded, `plan: traffic: haproxy: backend "app" has no server "new"`)
	if code, out := runRollout(t, "--receiver.url", srv.URL, "start", "--plan", good); code != cli.ExitUsage || !strings.Contains(out, `no server "new"`) {
		t.Errorf("plan the receiver refused: exit %d:\n%s", code, out)
	}
	if code, _ := runRollout(t, "--receiver.url", srv.URL, "abort", "x"); code != cli.ExitUsage {
		t.Errorf("bad id: exit %d", code)
	}
}
