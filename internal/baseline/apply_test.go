package baseline

import (
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/thresholds"
)

func TestApply(t *testing.T) {
	b := &Baseline{Derivations: []Derivation{
		// CPU at the floors: warning 70 equals the default yellow step 70,
		// which must move below it for the file to stay valid.
		{Quantity: QCPU, Warning: 70, Critical: 85, Applied: true},
		{Quantity: QMemory, Warning: 61.26, Critical: 71.24, Applied: true},
		{Quantity: QLatencyP95, Warning: 0.123456, Critical: 0.164608, Applied: true},
		{Quantity: QErrorRate, Applied: false, Notes: []string{"not derived: no samples"}},
	}}
	th := thresholds.Default()
	changes, err := Apply(th, b)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || *got != want {
			t.Errorf("%s = %s, want %v", name, ptrString(got), want)
		}
	}
	check("cpu warning", th.Host.CPU.WarningPercent, 70)
	check("cpu critical", th.Host.CPU.CriticalPercent, 85)
	check("cpu yellow lowered", th.Host.CPU.DashboardYellowPercent, 60)
	check("memory warning rounded", th.Host.Memory.WarningPercent, 61.3)
	check("memory critical rounded", th.Host.Memory.CriticalPercent, 71.2)
	check("memory yellow kept below", th.Host.Memory.DashboardYellowPercent, 51.3)
	check("latency warning 3 digits", th.Application.LatencyP95.WarningSeconds, 0.123)
	check("latency critical 3 digits", th.Application.LatencyP95.CriticalSeconds, 0.165)
	def := thresholds.Default()
	check("error rate kept", th.Application.ErrorRate.WarningPercent, *def.Application.ErrorRate.WarningPercent)

	byName := map[string]Change{}
	for _, c := range changes {
		byName[c.Threshold] = c
	}
	if c := byName["host.cpu.critical_percent"]; c.Old != nil || !c.Applied {
		t.Errorf("cpu critical change = %+v, want applied from disabled", c)
	}
	if c := byName["host.cpu.dashboard_yellow_percent"]; !c.Applied || c.Old == nil || *c.Old != 70 {
		t.Errorf("yellow change not reported: %+v", c)
	}
	if c := byName["application.error_rate.warning_percent"]; c.Applied {
		t.Errorf("error rate reported as applied: %+v", c)
	}
	if err := th.Validate(); err != nil {
		t.Errorf("result invalid: %v", err)
	}
}

func TestSelectorsFrom(t *testing.T) {
	th := thresholds.Default()
	th.Jobs.Host = `node|"odd"`
	th.Jobs.Redis = ""
	s := SelectorsFrom(th)
	if s.Node != `job=~"node|\"odd\""` {
		t.Errorf("node selector = %s", s.Node)
	}
	if s.Redis != "" {
		t.Errorf("empty job regex gave selector %q", s.Redis)
	}
	if !strings.HasPrefix(s.AppErrors, th.Application.StatusLabel+`=~"`) {
		t.Errorf("error selector = %q", s.AppErrors)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("selectors from defaults invalid: %v", err)
	}
}
