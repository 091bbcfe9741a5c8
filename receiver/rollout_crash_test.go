package receiver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/rollout"
	"github.com/golive-ops/golive/receiver/store"
)

// rolloutChildEnv makes the crash child's go-live gate decide on alerts
// alone (no Prometheus in this test), so it proceeds while none fire.
const rolloutChildEnv = "GOLIVE_RECEIVER_CRASH_CHILD_GATE_PROCEEDS"

func proceedingGate(cfg *config.Config) {
	for i := range cfg.Gate.Gates {
		cfg.Gate.Gates[i].Checks, cfg.Gate.Gates[i].MinTraffic = nil, nil
	}
}

func getRollout(t *testing.T, url string, id int64) (rollout.View, error) {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/v1/rollouts/%d", url, id))
	if err != nil {
		return rollout.View{}, err
	}
	defer resp.Body.Close()
	var v rollout.View
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET rollout: %d %s", resp.StatusCode, b)
	}
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

// TestRolloutSurvivesKill9: a receiver killed with SIGKILL in the middle of
// a stage's window is restarted on the same database; the new process
// takes the rollout over once the dead one's lease has expired, does not
// apply the stage again, keeps the window measured from the recorded start
// and walks the plan to the end.
func TestRolloutSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns receiver processes")
	}
	srv := func(name string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) }))
		t.Cleanup(s.Close)
		return strings.TrimPrefix(s.URL, "http://")
	}
	h := haproxytest.Start(t, haproxytest.Backend{Name: "app", Servers: []haproxytest.Server{
		{Name: "old", Addr: srv("old"), Weight: 100}, {Name: "new", Addr: srv("new"), Weight: 0},
	}})
	t.Setenv(rolloutChildEnv, "1")
	db := filepath.Join(t.TempDir(), "receiver.db")
	cmd, url := startChild(t, db)
	plan := fmt.Sprintf(`gate: go-live
name: checkout
traffic:
  haproxy: {address: %q, backend: app, current: [old], candidate: [new]}
stages: [{percent: 10, observe: 20s}, {percent: 100, observe: 1s}]
poll: 1s
`, h.Socket)
	code, body := post(t, url+"/api/v1/rollouts", []byte(plan), "Content-Type", "application/yaml")
	if code != http.StatusCreated {
		t.Fatalf("POST plan: %d %s", code, body)
	}
	var created rollout.View
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var mid rollout.View
	for {
		v, err := getRollout(t, url, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.StepPhase == "observing" && len(v.Decisions) > 0 {
			mid = v
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never observing stage 1: %+v", v)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL mid-window
		t.Fatal(err)
	}
	_ = cmd.Wait()
	_, url = startChild(t, db)
	var done rollout.View
	deadline = time.Now().Add(90 * time.Second)
	for {
		v, err := getRollout(t, url, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.State.Final() {
			done = v
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never finished after the restart: %+v", v)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if done.State != store.RolloutSucceeded {
		t.Fatalf("state %s (%s)", done.State, done.Reason)
	}
	if len(done.TrafficChanges) != 2 || done.TrafficChanges[0].Step != 0 || done.TrafficChanges[1].Step != 1 {
		t.Fatalf("traffic changes: %+v (want one per stage: stage 1 not re-applied)", done.TrafficChanges)
	}
	if !done.TrafficChanges[0].At.Equal(mid.StepStartedAt) {
		t.Errorf("stage 1 was re-recorded: %s, before the kill %s", done.TrafficChanges[0].At, mid.StepStartedAt)
	}
	if second := done.TrafficChanges[1].At; second.Before(mid.StepStartedAt.Add(20 * time.Second)) {
		t.Errorf("stage 1's 20s window was skipped: stage 2 at %s, stage 1 began %s", second, mid.StepStartedAt)
	}
	split, err := h.Client.Snapshot(context.Background(), "app", "old", "new")
	if err != nil {
		t.Fatal(err)
	}
	if split["old"].Weight != 0 || split["new"].Weight != 200 {
		t.Errorf("final split %+v", split)
	}
}
