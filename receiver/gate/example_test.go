package gate

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/thresholds"
)

// The demo config ships runbook R2.1's go-live gate, with the thresholds of
// rules/thresholds.yml where it has them (error rate, response time) and
// the runbook's own where it does not (CPU 80%, memory 85%).
func TestExampleGoLiveGate(t *testing.T) {
	b, err := os.ReadFile("../../deploy/examples/receiver.yml")
	if err != nil {
		t.Fatal(err)
	}
	var s Section
	if err := yaml.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	th, err := thresholds.Load("../../rules/thresholds.yml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Prometheus == nil || s.Prometheus.URL != "http://127.0.0.1:9090" || len(s.Gates) != 1 || s.Gates[0].Name != "go-live" {
		t.Fatalf("demo gates: %+v", s)
	}
	g := s.Gates[0]
	want := map[string]struct {
		threshold float64
		onBreach  string
		traffic   bool
	}{
		"error_rate":           {*th.Application.ErrorRate.WarningPercent / 100, "rollback", true},
		"avg_response_seconds": {*th.Application.LatencyP95.WarningSeconds, "hold", true},
		"cpu":                  {0.80, "hold", false},
		"memory":               {0.85, "hold", false},
	}
	if len(g.Checks) != len(want) {
		t.Fatalf("%d checks, want %d", len(g.Checks), len(want))
	}
	for _, c := range g.Checks {
		w, ok := want[c.Name]
		if !ok || c.Op != ">" || *c.Threshold != w.threshold || c.OnBreach != w.onBreach || c.NeedsTraffic != w.traffic {
			t.Errorf("check %s: op %s threshold %v on_breach %s needs_traffic %v, want > %+v", c.Name, c.Op, *c.Threshold, c.OnBreach, c.NeedsTraffic, w)
		}
	}
	if g.Incidents == nil || g.Incidents.AtOrAbove != "P1" || g.MinTraffic == nil || len(g.Alerts) == 0 {
		t.Errorf("alerts %v incidents %+v min_traffic %+v", g.Alerts, g.Incidents, g.MinTraffic)
	}
}
