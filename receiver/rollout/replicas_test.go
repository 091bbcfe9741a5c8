package rollout

import (
	"testing"
	"time"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/storetest"
)

// Three replicas on one store run the same rollout: one at a time drives
// it, so every stage is applied and every window watched once.
func TestReplicasShareOneRollout(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			h := startHAProxy(t)
			s := b.Open(t)
			g := &fakeGates{decision: engine.Proceed}
			first := newRunner(t, s, g, "r1")
			ro, err := first.Submit(testenv.Context(t, time.Minute), plan(h.Socket, "[{percent: 10, observe: 1s}, {percent: 50, observe: 1s}, {percent: 100, observe: 1s}]"))
			if err != nil {
				t.Fatal(err)
			}
			run(t, first)
			run(t, newRunner(t, s, g, "r2"))
			run(t, newRunner(t, s, g, "r3"))
			done := waitFor(t, s, ro.ID, 20*time.Second, "final", func(ro store.Rollout) bool { return ro.State.Final() })
			if done.State != store.RolloutSucceeded {
				t.Fatalf("state %s (%s)", done.State, done.Reason)
			}
			changes := events(t, s, ro.ID, "traffic_change")
			applying := events(t, s, ro.ID, "stage_applying")
			if len(changes) != 3 || len(applying) != 3 {
				t.Fatalf("%d traffic changes and %d stage records, want 3 of each: %+v", len(changes), len(applying), changes)
			}
			if n := len(events(t, s, ro.ID, "succeeded")); n != 1 {
				t.Errorf("%d success records", n)
			}
			if o, n := weights(t, h.Client); o != 0 || n != 200 {
				t.Errorf("final split %d/%d", o, n)
			}
		})
	}
}
