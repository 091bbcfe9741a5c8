package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/store"
)

// directory is a user directory and routing API: the select call lists a
// department, the route call moves users and is recorded.
type directory struct {
	srv    *httptest.Server
	mu     sync.Mutex
	routed []string // "batch:target:users"
}

func newDirectory(t *testing.T) *directory {
	d := &directory{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, r *http.Request) {
		dept := r.URL.Query().Get("dept")
		_ = json.NewEncoder(w).Encode(map[string][]string{"users": {dept + "-1", dept + "-2"}})
	})
	mux.HandleFunc("POST /route", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Batch  string   `json:"batch"`
			Users  []string `json:"users"`
			Target string   `json:"target"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d.mu.Lock()
		d.routed = append(d.routed, fmt.Sprintf("%s:%s:%s", body.Batch, body.Target, strings.Join(body.Users, ",")))
		d.mu.Unlock()
	})
	d.srv = httptest.NewServer(mux)
	t.Cleanup(d.srv.Close)
	return d
}

func (d *directory) calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.routed...)
}

func batchPlan(url, thresholds string) []byte {
	return fmt.Appendf(nil, `gate: go-live
name: cutover
users:
  select: {method: GET, url: "%[1]s/users?dept={{urlquery .Batch}}"}
  route: {method: POST, url: "%[1]s/route", body: '{"batch": {{json .Batch}}, "users": {{json .Users}}, "target": {{json .Target}}}'}
batches:
  - {name: it, observe: 1s, thresholds: {%[2]s}}
  - {name: managers, observe: 2s}
poll: 1s
`, url, thresholds)
}

func TestUserBatchesEachWithItsThresholds(t *testing.T) {
	dir := newDirectory(t)
	s := openStore(t)
	g := &fakeGates{decision: engine.Proceed}
	r := newRunner(t, s, g, "a")
	ro, err := r.Submit(testenv.Context(t, time.Minute), batchPlan(dir.srv.URL, "error_rate: 0.10"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	done := waitFor(t, s, ro.ID, 15*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
	if done.State != store.RolloutSucceeded {
		t.Fatalf("state %s (%s)", done.State, done.Reason)
	}
	if got := strings.Join(dir.calls(), " "); got != "it:candidate:it-1,it-2 managers:candidate:managers-1,managers-2" {
		t.Errorf("routing calls: %s", got)
	}
	g.mu.Lock()
	first, last := g.thresholds[0], g.thresholds[len(g.thresholds)-1]
	g.mu.Unlock()
	if first["error_rate"] != 0.10 || len(last) != 0 {
		t.Errorf("gate overrides: first %v (want the IT batch's error_rate 0.10), last %v (want none)", first, last)
	}
	if got := len(events(t, s, ro.ID, "batch_selected")); got != 2 {
		t.Errorf("%d batches recorded as selected", got)
	}
}

func TestFailedBatchIsRoutedBack(t *testing.T) {
	dir := newDirectory(t)
	s := openStore(t)
	g := &fakeGates{decision: engine.Proceed}
	r := newRunner(t, s, g, "a")
	ro, err := r.Submit(testenv.Context(t, time.Minute), batchPlan(dir.srv.URL, "error_rate: 0.10"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	waitFor(t, s, ro.ID, 10*time.Second, "at batch 2", func(ro store.Rollout) bool { return ro.Step == 1 && ro.StepPhase == phaseObserving })
	g.set(engine.Rollback, "rollback: error_rate 0.09 > 0.05")
	done := waitFor(t, s, ro.ID, 10*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
	if done.State != store.RolloutRolledBack {
		t.Fatalf("state %s (%s)", done.State, done.Reason)
	}
	calls := dir.calls()
	if len(calls) != 3 || calls[2] != "managers:current:managers-1,managers-2" {
		t.Errorf("routing calls %v: want the managers routed back, IT left on the candidate", calls)
	}
	if string(done.Applied) != `[{"batch":"it","users":["it-1","it-2"]}]` {
		t.Errorf("state after the rollback: %s", done.Applied)
	}
}

func TestBatchThresholdsNameGateChecks(t *testing.T) {
	dir := newDirectory(t)
	r := newRunner(t, openStore(t), &fakeGates{}, "a")
	_, err := r.Submit(testenv.Context(t, time.Minute), batchPlan(dir.srv.URL, "eror_rate: 0.10"))
	var bad *BadPlanError
	if !errors.As(err, &bad) || !strings.Contains(err.Error(), `batches[0].thresholds["eror_rate"]: gate "go-live" has no such check`) {
		t.Fatalf("Submit = %v", err)
	}
	if len(dir.calls()) != 0 {
		t.Errorf("users routed for a refused plan")
	}
}
