package baseline

import (
	"strings"
	"testing"
)

// summary builds a Summary with enough samples to pass the sample guard.
func summary(mean, stdev, p95 float64) Summary {
	return Summary{Count: 100, Mean: mean, Median: mean, Min: mean - 2*stdev, Max: mean + 2*stdev, Stdev: stdev, P95: p95}
}

// Levels are rounded as the thresholds file will hold them, so the JSON and
// the report never show 12.299999999999999.
func TestDerivedLevelsAreRounded(t *testing.T) {
	g := DefaultGuards()
	if d := DeriveErrorRate(summary(4.1, 1, 0), g); d.Warning != 8.2 || d.Critical != 12.3 {
		t.Errorf("error rate %v / %v, want exactly 8.2 / 12.3", d.Warning, d.Critical)
	}
	if d := DeriveLatency(summary(0.2, 0.05, 0.123456), g); d.Warning != 0.185 || d.Critical != 0.247 {
		t.Errorf("latency %v / %v, want 0.185 / 0.247", d.Warning, d.Critical)
	}
	// Rounding never merges two levels a hair apart.
	tight := Summary{Count: 100, Mean: 60, Min: 59, Max: 61, Stdev: 0.01}
	g.CPUWarningFloor, g.CPUCriticalFloor = 0, 0.01
	if d := DeriveCPU(tight, g); !d.Applied || d.Warning >= d.Critical {
		t.Errorf("tight CPU %+v", d)
	}
}

func TestDerive(t *testing.T) {
	g := DefaultGuards()
	for _, tc := range []struct {
		name         string
		derive       func(Summary, Guards) Derivation
		in           Summary
		applied      bool
		warn, crit   float64
		noteContains string // "" means no notes expected
	}{
		// CPU: mean + 2σ / mean + 3σ, floors 70/85, cap 100.
		{"cpu plain", DeriveCPU, summary(60, 8, 0), true, 76, 84 + 1, "critical raised from 84.00 to the floor 85"},
		{"cpu busy", DeriveCPU, summary(60, 10, 0), true, 80, 90, ""},
		{"cpu idle host gets floors", DeriveCPU, summary(3, 1, 0), true, 70, 85, "warning raised from 5.00 to the floor 70"},
		{"cpu capped at 100", DeriveCPU, summary(80, 8, 0), true, 96, 100, "critical capped at 100"},
		{"cpu saturated: warning == critical", DeriveCPU, summary(95, 5, 0), false, 0, 0, "is not below critical"},
		{"cpu flat", DeriveCPU, Summary{Count: 100, Mean: 40, Min: 40, Max: 40}, false, 0, 0, "flat"},
		{"cpu too few samples", DeriveCPU, Summary{Count: 10, Mean: 40, Min: 30, Max: 50, Stdev: 5}, false, 0, 0, "only 10 samples, need at least 30"},
		{"cpu no samples", DeriveCPU, Summary{Dropped: 5}, false, 0, 0, "no samples"},

		// Memory: min(85, mean + 10) / min(95, mean + 20), floors 75 / 90.
		{"memory plain", DeriveMemory, summary(68, 3, 0), true, 78, 90, "critical raised from 88.00 to the floor 90"},
		{"memory busy", DeriveMemory, summary(72, 3, 0), true, 82, 92, ""},
		{"memory idle host gets the floors", DeriveMemory, summary(4, 1, 0), true, 75, 90, "warning raised from 14.00 to the floor 75"},
		{"memory warning capped at 85", DeriveMemory, summary(78, 3, 0), true, 85, 95, "warning capped at 85"},
		{"memory above the cap already", DeriveMemory, summary(90, 1, 0), true, 85, 95, "will fire under normal load"},
		{"memory flat is derived with a note", DeriveMemory, Summary{Count: 100, Mean: 70, Min: 70, Max: 70}, true, 80, 90, "the series is flat"},

		// Latency: p95 × 1.5 / p95 × 2 (seconds).
		{"latency", DeriveLatency, summary(0.2, 0.05, 0.4), true, 0.6, 0.8, ""},
		{"latency zero p95", DeriveLatency, summary(0, 0, 0), false, 0, 0, "p95 latency is 0"},

		// Error rate: max(5, 2 × mean) / max(10, 3 × mean) (percent).
		{"error rate floors", DeriveErrorRate, summary(0.5, 0.2, 0), true, 5, 10, ""},
		{"error rate high", DeriveErrorRate, summary(4, 1, 0), true, 8, 12, ""},
		{"error rate capped", DeriveErrorRate, summary(40, 5, 0), true, 80, 100, "critical capped at 100"},
		{"error rate saturated", DeriveErrorRate, summary(60, 5, 0), false, 0, 0, "is not below critical"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.derive(tc.in, g)
			if d.Applied != tc.applied {
				t.Fatalf("Applied = %v, want %v (notes %q)", d.Applied, tc.applied, d.Notes)
			}
			if tc.applied && (!approx(d.Warning, tc.warn) || !approx(d.Critical, tc.crit)) {
				t.Errorf("warning/critical = %v/%v, want %v/%v", d.Warning, d.Critical, tc.warn, tc.crit)
			}
			if tc.applied && d.Warning >= d.Critical {
				t.Errorf("applied with warning %v >= critical %v", d.Warning, d.Critical)
			}
			notes := strings.Join(d.Notes, "; ")
			if tc.noteContains == "" && len(d.Notes) > 0 {
				t.Errorf("unexpected notes: %q", notes)
			}
			if !strings.Contains(notes, tc.noteContains) {
				t.Errorf("notes %q do not contain %q", notes, tc.noteContains)
			}
			if d.Formula == "" || d.Quantity == "" || d.Unit == "" {
				t.Errorf("derivation does not describe itself: %+v", d)
			}
		})
	}
}

func TestGuardsValidate(t *testing.T) {
	if err := DefaultGuards().Validate(); err != nil {
		t.Fatalf("default guards invalid: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*Guards)
		want string
	}{
		{"min samples", func(g *Guards) { g.MinSamples = 1 }, "minimum samples"},
		{"warning floor range", func(g *Guards) { g.CPUWarningFloor = -1 }, "warning floor"},
		{"critical floor range", func(g *Guards) { g.CPUCriticalFloor = 101 }, "critical floor"},
		{"floors order", func(g *Guards) { g.CPUWarningFloor, g.CPUCriticalFloor = 90, 80 }, "below the critical floor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := DefaultGuards()
			tc.edit(&g)
			if err := g.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want containing %q", err, tc.want)
			}
		})
	}
}
