package rollout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	plans "github.com/golive-ops/golive/internal/rollout"
	"github.com/golive-ops/golive/internal/testenv"
	gates "github.com/golive-ops/golive/receiver/gate"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/sqlite"
)

// fakeGates answers with the decision the test sets, each with a new id.
type fakeGates struct {
	mu       sync.Mutex
	decision engine.Decision
	reasons  []string
	id       int64
	asked    int
	// thresholds are the overrides of every EvaluateWith, in order.
	thresholds []map[string]float64
}

func (f *fakeGates) set(d engine.Decision, reasons ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decision, f.reasons = d, reasons
}

func (f *fakeGates) Names() []string { return []string{"go-live"} }

func (f *fakeGates) CheckNames(string) []string { return []string{"error_rate", "cpu"} }

func (f *fakeGates) EvaluateWith(ctx context.Context, name string, thresholds map[string]float64) (gates.Decision, error) {
	f.mu.Lock()
	f.thresholds = append(f.thresholds, thresholds)
	f.mu.Unlock()
	return f.Evaluate(ctx, name)
}

func (f *fakeGates) Evaluate(_ context.Context, name string) (gates.Decision, error) {
	if name != "go-live" {
		return gates.Decision{}, gates.ErrUnknownGate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.id++
	f.asked++
	return gates.Decision{ID: f.id, Gate: name, Result: engine.Result{Decision: f.decision, Reasons: f.reasons}}, nil
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func backend(t *testing.T, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) }))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func startHAProxy(t *testing.T) *haproxytest.Instance {
	return haproxytest.Start(t, haproxytest.Backend{Name: "app", Servers: []haproxytest.Server{
		{Name: "old", Addr: backend(t, "old"), Weight: 100},
		{Name: "new", Addr: backend(t, "new"), Weight: 0},
	}})
}

func plan(socket, stages string) []byte {
	return fmt.Appendf(nil, `gate: go-live
name: checkout
traffic:
  haproxy: {address: %q, backend: app, current: [old], candidate: [new]}
stages: %s
poll: 1s
notify: [ops]
`, socket, stages)
}

func newRunner(t *testing.T, s store.Store, g Gates, owner string) *Runner {
	return New(Options{Store: s, Gates: g, Channels: []string{"ops"}, Owner: owner, Lease: 2 * time.Second,
		Tick: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
}

// run starts r until the test ends or stop is called.
func run(t *testing.T, r *Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, s store.Store, id int64, within time.Duration, what string, ok func(store.Rollout) bool) store.Rollout {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ro, err := s.Rollout(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(ro) {
			return ro
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout never %s: %+v", what, ro)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func weights(t *testing.T, c *haproxy.Client) (oldW, newW int) {
	t.Helper()
	split, err := c.Snapshot(context.Background(), "app", "old", "new")
	if err != nil {
		t.Fatal(err)
	}
	return split["old"].Weight, split["new"].Weight
}

func events(t *testing.T, s store.Store, id int64, kind string) []store.RolloutEvent {
	t.Helper()
	all, err := s.RolloutEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.RolloutEvent
	for _, e := range all {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func outbox(t *testing.T, s store.Store) []store.OutboxItem {
	t.Helper()
	items, err := s.ClaimOutbox(context.Background(), "test", 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestWalksEveryStageAndSucceeds(t *testing.T) {
	h := startHAProxy(t)
	s := openStore(t)
	g := &fakeGates{decision: engine.Proceed}
	r := newRunner(t, s, g, "a")
	ro, err := r.Submit(testenv.Context(t, time.Minute), plan(h.Socket, "[{percent: 10, observe: 1s}, {percent: 50, observe: 1s}, {percent: 100, observe: 1s}]"))
	if err != nil {
		t.Fatal(err)
	}
	if o, n := weights(t, h.Client); o != 100 || n != 0 {
		t.Fatalf("Submit changed the split: old %d new %d", o, n)
	}
	start := time.Now()
	run(t, r)
	waitFor(t, s, ro.ID, 5*time.Second, "at stage 1", func(ro store.Rollout) bool { return ro.Step == 0 && ro.StepPhase == phaseObserving })
	if o, n := weights(t, h.Client); o != 180 || n != 20 {
		t.Errorf("at 10%%: old %d new %d, want 180/20", o, n)
	}
	done := waitFor(t, s, ro.ID, 15*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
	if done.State != store.RolloutSucceeded {
		t.Fatalf("state %s (%s), want succeeded", done.State, done.Reason)
	}
	if took := time.Since(start); took < 3*time.Second {
		t.Errorf("three 1s windows passed in %s", took)
	}
	if o, n := weights(t, h.Client); o != 0 || n != 200 {
		t.Errorf("at 100%%: old %d new %d", o, n)
	}
	changes := events(t, s, ro.ID, "traffic_change")
	if len(changes) != 3 {
		t.Fatalf("%d traffic changes, want one per stage: %+v", len(changes), changes)
	}
	for i, c := range changes {
		if c.Step != i || len(c.Before) == 0 || len(c.After) == 0 {
			t.Errorf("change %d: %+v", i, c)
		}
	}
	if !strings.Contains(string(changes[0].Before), `"weight":100`) {
		t.Errorf("the first change's before is not the split in force: %s", changes[0].Before)
	}
	decisions := events(t, s, ro.ID, "decision")
	if len(decisions) < 3 || decisions[0].DecisionID == 0 || decisions[0].Decision != "proceed" {
		t.Errorf("decisions: %+v", decisions)
	}
	items := outbox(t, s)
	if len(items) != 1 || items[0].Kind != "rollout_succeeded" || items[0].Channel != "ops" {
		t.Errorf("notifications: %+v", items)
	}
	if StagePercent(done) != 100 {
		t.Errorf("stage percent %v", StagePercent(done))
	}
}

func TestRollbackRestoresTheRecordedSplitAndNotifies(t *testing.T) {
	h := startHAProxy(t)
	s := openStore(t)
	g := &fakeGates{decision: engine.Proceed}
	r := newRunner(t, s, g, "a")
	ro, err := r.Submit(testenv.Context(t, time.Minute), plan(h.Socket, "[{percent: 30, observe: 1m}, {percent: 100, observe: 1m}]"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	waitFor(t, s, ro.ID, 5*time.Second, "observing", func(ro store.Rollout) bool { return ro.StepPhase == phaseObserving })
	if _, n := weights(t, h.Client); n != 60 {
		t.Fatalf("candidate weight %d at 30%%", n)
	}
	g.set(engine.Rollback, "error_rate 0.2 > 0.05")
	done := waitFor(t, s, ro.ID, 5*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
	if done.State != store.RolloutRolledBack || !strings.Contains(done.Reason, "error_rate 0.2 > 0.05") {
		t.Fatalf("state %s reason %q", done.State, done.Reason)
	}
	if o, n := weights(t, h.Client); o != 100 || n != 0 {
		t.Errorf("after rollback: old %d new %d, want the recorded 100/0", o, n)
	}
	changes := events(t, s, ro.ID, "traffic_change")
	if len(changes) != 2 || string(changes[1].After) != string(ro.Before) {
		t.Errorf("rollback change: %+v", changes)
	}
	if items := outbox(t, s); len(items) != 1 || items[0].Kind != "rollout_rolled_back" || !strings.Contains(string(items[0].Payload), "error_rate") {
		t.Errorf("notifications: %+v", items)
	}
	if StagePercent(done) != 0 {
		t.Errorf("stage percent %v after rollback", StagePercent(done))
	}
}

func TestHoldPausesOnceAndResumeContinues(t *testing.T) {
	h := startHAProxy(t)
	s := openStore(t)
	g := &fakeGates{decision: engine.Hold, reasons: []string{"not enough traffic"}}
	r := newRunner(t, s, g, "a")
	ro, err := r.Submit(testenv.Context(t, time.Minute), plan(h.Socket, "[{percent: 100, observe: 2s}]"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	paused := waitFor(t, s, ro.ID, 5*time.Second, "paused", func(ro store.Rollout) bool { return ro.State == store.RolloutPaused })
	if !strings.Contains(paused.Reason, "hold: not enough traffic") {
		t.Errorf("reason %q", paused.Reason)
	}
	asked := func() int { g.mu.Lock(); defer g.mu.Unlock(); return g.asked }
	n := asked()
	time.Sleep(1500 * time.Millisecond)
	if asked() != n {
		t.Errorf("the gate was asked while paused")
	}
	if err := s.RequestRollout(context.Background(), ro.ID, RequestResume, "alice"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s, ro.ID, 5*time.Second, "resumed", func(ro store.Rollout) bool { return ro.State == store.RolloutRunning })
	// Still hold: recorded, no second pause; the window does not pass on a hold.
	time.Sleep(2500 * time.Millisecond)
	cur, _ := s.Rollout(context.Background(), ro.ID)
	if cur.State != store.RolloutRunning || len(events(t, s, ro.ID, "paused")) != 1 {
		t.Fatalf("after resume: %s, %d pauses", cur.State, len(events(t, s, ro.ID, "paused")))
	}
	g.set(engine.Proceed)
	done := waitFor(t, s, ro.ID, 5*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
	if done.State != store.RolloutSucceeded {
		t.Fatalf("state %s", done.State)
	}
}

func TestAbortRollsBackAtOnce(t *testing.T) {
	h := startHAProxy(t)
	s := openStore(t)
	r := newRunner(t, s, &fakeGates{decision: engine.Proceed}, "a")
	ro, err := r.Submit(testenv.Context(t, time.Minute), plan(h.Socket, "[{percent: 50, observe: 1h}, {percent: 100, observe: 1h}]"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	waitFor(t, s, ro.ID, 5*time.Second, "observing", func(ro store.Rollout) bool { return ro.StepPhase == phaseObserving })
	if err := s.RequestRollout(context.Background(), ro.ID, RequestAbort, "alice"); err != nil {
		t.Fatal(err)
	}
	done := waitFor(t, s, ro.ID, 5*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
	if done.State != store.RolloutRolledBack || done.Reason != "aborted by an operator" {
		t.Fatalf("%s %q", done.State, done.Reason)
	}
	if o, n := weights(t, h.Client); o != 100 || n != 0 {
		t.Errorf("after abort: %d/%d", o, n)
	}
}

// A runner that dies mid-stage (its context ends: nothing more is written,
// as after kill -9) leaves the record; another replica takes over once the
// lease expires, keeps the stage it was in without applying it again, and
// measures the window from the recorded start.
func TestAnotherReplicaResumesMidStage(t *testing.T) {
	h := startHAProxy(t)
	s := openStore(t)
	g := &fakeGates{decision: engine.Proceed}
	a := newRunner(t, s, g, "a")
	ro, err := a.Submit(testenv.Context(t, time.Minute), plan(h.Socket, "[{percent: 10, observe: 4s}, {percent: 100, observe: 1s}]"))
	if err != nil {
		t.Fatal(err)
	}
	stopA := run(t, a)
	mid := waitFor(t, s, ro.ID, 5*time.Second, "observing", func(ro store.Rollout) bool { return ro.StepPhase == phaseObserving })
	stopA()
	b := newRunner(t, s, g, "b")
	run(t, b)
	// b cannot claim before a's lease (2s) expires, then continues stage 1.
	next := waitFor(t, s, ro.ID, 10*time.Second, "at stage 2", func(ro store.Rollout) bool { return ro.Step == 1 && ro.StepPhase == phaseObserving })
	if ended := next.StepStartedAt; ended.Before(mid.StepStartedAt.Add(4 * time.Second)) {
		t.Errorf("stage 1's window (from %s) was cut short: stage 2 began %s", mid.StepStartedAt, ended)
	}
	if late := next.StepStartedAt.Sub(mid.StepStartedAt.Add(4 * time.Second)); late > 2*time.Second {
		t.Errorf("stage 1's window restarted on takeover: stage 2 began %s after its end", late)
	}
	done := waitFor(t, s, ro.ID, 10*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
	if done.State != store.RolloutSucceeded {
		t.Fatalf("state %s", done.State)
	}
	changes := events(t, s, ro.ID, "traffic_change")
	if len(changes) != 2 || changes[0].Step != 0 || changes[1].Step != 1 {
		t.Errorf("traffic changes %+v, want one per stage", changes)
	}
}

// A crash between recording a stage and changing the split leaves the
// stage "applying": the next owner applies it (once recorded).
func TestApplyingStageIsAppliedAfterACrash(t *testing.T) {
	h := startHAProxy(t)
	s := openStore(t)
	g := &fakeGates{decision: engine.Proceed}
	r := newRunner(t, s, g, "a")
	ro, err := r.Submit(testenv.Context(t, time.Minute), plan(h.Socket, "[{percent: 40, observe: 1h}, {percent: 100, observe: 1h}]"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimRollout(context.Background(), ro.ID, "dead", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ro.Step, ro.StepPhase = 0, phaseApplying
	if err := s.AdvanceRollout(context.Background(), &ro, "dead", false, nil, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(350 * time.Millisecond) // the dead owner's lease expires
	run(t, r)
	waitFor(t, s, ro.ID, 5*time.Second, "observing", func(ro store.Rollout) bool { return ro.StepPhase == phaseObserving })
	if _, n := weights(t, h.Client); n != 80 {
		t.Errorf("candidate weight %d, want 80 (40%%)", n)
	}
	if c := events(t, s, ro.ID, "traffic_change"); len(c) != 1 || c[0].Step != 0 {
		t.Errorf("changes %+v", c)
	}
}

// failingDriver fails Apply from call failApply on, and Restore always
// when failRestore.
type failingDriver struct {
	plans.TrafficDriver
	mu          sync.Mutex
	applies     int
	failApply   int
	failRestore bool
}

func (f *failingDriver) Apply(ctx context.Context, p float64) (plans.State, error) {
	f.mu.Lock()
	f.applies++
	n := f.applies
	f.mu.Unlock()
	if n >= f.failApply {
		return nil, fmt.Errorf("haproxy: set server app/new weight: %w", haproxy.ErrCommand)
	}
	return f.TrafficDriver.Apply(ctx, p)
}

func (f *failingDriver) Restore(ctx context.Context, s plans.State) error {
	if f.failRestore {
		return errors.New("connection refused")
	}
	return f.TrafficDriver.Restore(ctx, s)
}

func TestLoadBalancerFailureRollsBackAndAFailedRollbackOpensAnIncident(t *testing.T) {
	for _, failRestore := range []bool{false, true} {
		t.Run(fmt.Sprintf("restore fails=%v", failRestore), func(t *testing.T) {
			h := startHAProxy(t)
			s := openStore(t)
			var opened []string
			r := newRunner(t, s, &fakeGates{decision: engine.Proceed}, "a")
			r.o.Driver = func(name string, tr *plans.Traffic) (plans.TrafficDriver, error) {
				d, err := plans.NewTrafficDriver(name, tr)
				return &failingDriver{TrafficDriver: d, failApply: 2, failRestore: failRestore}, err
			}
			r.o.OpenIncident = func(_ context.Context, ro store.Rollout, reason string) error {
				opened = append(opened, reason)
				return nil
			}
			ro, err := r.Submit(testenv.Context(t, time.Minute), plan(h.Socket, "[{percent: 10, observe: 1s}, {percent: 100, observe: 1s}]"))
			if err != nil {
				t.Fatal(err)
			}
			run(t, r)
			done := waitFor(t, s, ro.ID, 15*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
			if !strings.Contains(done.Reason, "load balancer refused stage 2 (100%)") {
				t.Errorf("reason %q", done.Reason)
			}
			if !failRestore {
				if done.State != store.RolloutRolledBack || len(opened) != 0 {
					t.Fatalf("state %s, incidents %v", done.State, opened)
				}
				if o, n := weights(t, h.Client); o != 100 || n != 0 {
					t.Errorf("after rollback %d/%d", o, n)
				}
				return
			}
			if done.State != store.RolloutFailed || len(opened) != 1 || !strings.Contains(opened[0], "connection refused") {
				t.Fatalf("state %s, incidents %v", done.State, opened)
			}
			if items := outbox(t, s); len(items) != 1 || items[0].Kind != "rollout_rollback_failed" {
				t.Errorf("notifications %+v", items)
			}
		})
	}
}

func TestSubmitRefusesBadPlansWithoutTouchingTheLoadBalancer(t *testing.T) {
	h := startHAProxy(t)
	s := openStore(t)
	r := newRunner(t, s, &fakeGates{}, "a")
	for name, tc := range map[string]struct{ plan, want string }{
		"unknown server":  {strings.Replace(string(plan(h.Socket, "[{percent: 100, observe: 1m}]")), "candidate: [new]", "candidate: [nwe]", 1), `no server "nwe"`},
		"unknown backend": {strings.Replace(string(plan(h.Socket, "[{percent: 100, observe: 1m}]")), "backend: app", "backend: web", 1), "traffic:"},
		"unknown gate":    {strings.Replace(string(plan(h.Socket, "[{percent: 100, observe: 1m}]")), "gate: go-live", "gate: canary", 1), `gate: "canary" is not a gate`},
		"unknown channel": {strings.Replace(string(plan(h.Socket, "[{percent: 100, observe: 1m}]")), "notify: [ops]", "notify: [pager]", 1), `notify[0]: "pager"`},
		"stages go down":  {string(plan(h.Socket, "[{percent: 50, observe: 1m}, {percent: 20, observe: 1m}, {percent: 100, observe: 1m}]")), "stages[1].percent"},
		"unknown key":     {string(plan(h.Socket, "[{percent: 100, observe: 1m, wieght: 3}]")), "wieght"},
	} {
		_, err := r.Submit(context.Background(), []byte(tc.plan))
		var bad *BadPlanError
		if !errors.As(err, &bad) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a bad plan naming %q", name, err, tc.want)
		}
	}
	if o, n := weights(t, h.Client); o != 100 || n != 0 {
		t.Errorf("split changed: %d/%d", o, n)
	}
	if list, _ := s.ListRollouts(context.Background(), 0, false); len(list) != 0 {
		t.Errorf("bad plans stored: %v", list)
	}
}
