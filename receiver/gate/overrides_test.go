package gate

import (
	"context"
	"errors"
	"strings"
	"testing"

	engine "github.com/golive-ops/golive/internal/gate"
)

// A user batch's own thresholds decide its evaluation, which is stored but
// neither read from nor written to the gate's cache.
func TestEvaluateWithBatchThresholds(t *testing.T) {
	f := newFixture(t, nil)
	f.prom.set("errors", 0.08) // above the gate's 0.05, below the IT batch's 0.10
	cached, err := f.svc.Evaluate(context.Background(), "go-live")
	if err != nil || cached.Decision != engine.Rollback {
		t.Fatalf("with the gate's thresholds: %v %v", cached.Decision, err)
	}
	d, err := f.svc.EvaluateWith(context.Background(), "go-live", map[string]float64{"error_rate": 0.10})
	if err != nil {
		t.Fatal(err)
	}
	if d.Decision != engine.Proceed || d.ID == cached.ID {
		t.Fatalf("with the batch's error_rate 0.10: %s (id %d, cached %d) %v", d.Decision, d.ID, cached.ID, d.Reasons)
	}
	for _, c := range d.Checks {
		if c.Name == "error_rate" && float64(c.Threshold) != 0.10 {
			t.Errorf("stored threshold %v, want the override", c.Threshold)
		}
	}
	if again, _ := f.svc.Evaluate(context.Background(), "go-live"); again.ID != cached.ID {
		t.Errorf("the override replaced the cached decision (%d, want %d)", again.ID, cached.ID)
	}
	if stored, err := f.svc.Lookup(context.Background(), d.ID); err != nil || stored.Decision != engine.Proceed {
		t.Errorf("override decision not stored: %v %v", stored.Decision, err)
	}
	if _, err := f.svc.EvaluateWith(context.Background(), "go-live", map[string]float64{"eror_rate": 1}); err == nil || !strings.Contains(err.Error(), `no check "eror_rate"`) {
		t.Errorf("unknown check: %v", err)
	}
	if _, err := f.svc.EvaluateWith(context.Background(), "nope", map[string]float64{"error_rate": 1}); !errors.Is(err, ErrUnknownGate) {
		t.Errorf("unknown gate: %v", err)
	}
	if got := strings.Join(f.svc.CheckNames("go-live"), ","); got != "error_rate,avg_response_seconds,cpu,memory" {
		t.Errorf("CheckNames = %s", got)
	}
}
