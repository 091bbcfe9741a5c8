package baseline

import (
	"fmt"
	"math"
)

// Guards keep the runbook's formulas from producing thresholds that would be
// useless or dangerous on real data. See DefaultGuards for the values and why.
type Guards struct {
	// MinSamples is the fewest samples a quantity needs before thresholds
	// are derived from it; fewer and the existing thresholds are kept.
	MinSamples int `json:"min_samples"`
	// CPUWarningFloor and CPUCriticalFloor (percent) are the lowest CPU
	// thresholds derivation will produce: on an idle host mean + 2σ can be
	// 5%, which would page on any cron job.
	CPUWarningFloor  float64 `json:"cpu_warning_floor"`
	CPUCriticalFloor float64 `json:"cpu_critical_floor"`
	// MemoryWarningFloor and MemoryCriticalFloor (percent) do the same for
	// memory: an idle host at 4% would otherwise get a 14% warning.
	MemoryWarningFloor  float64 `json:"memory_warning_floor"`
	MemoryCriticalFloor float64 `json:"memory_critical_floor"`
}

// DefaultGuards are the guards the baseline applies. 30 samples is the
// usual minimum for a mean and σ to mean anything (half an hour at the
// default 1m step). The floors are where the runbook's own dashboard turns
// yellow and red (R3.5): CPU 70% and 85%, memory 75% and 90%, so a derived
// threshold is never stricter than what people already read as "busy".
func DefaultGuards() Guards {
	return Guards{MinSamples: 30, CPUWarningFloor: 70, CPUCriticalFloor: 85, MemoryWarningFloor: 75, MemoryCriticalFloor: 90}
}

// Validate checks that the guards are usable together.
func (g Guards) Validate() error {
	switch {
	case g.MinSamples < 2:
		return fmt.Errorf("minimum samples must be at least 2, got %d", g.MinSamples)
	case g.CPUWarningFloor < 0 || g.CPUWarningFloor > 100:
		return fmt.Errorf("CPU warning floor must be within 0..100, got %g", g.CPUWarningFloor)
	case g.CPUCriticalFloor < 0 || g.CPUCriticalFloor > 100:
		return fmt.Errorf("CPU critical floor must be within 0..100, got %g", g.CPUCriticalFloor)
	case g.CPUWarningFloor >= g.CPUCriticalFloor:
		return fmt.Errorf("CPU warning floor %g must be below the critical floor %g", g.CPUWarningFloor, g.CPUCriticalFloor)
	case g.MemoryWarningFloor < 0 || g.MemoryWarningFloor > 85:
		return fmt.Errorf("memory warning floor must be within 0..85 (the runbook's cap), got %g", g.MemoryWarningFloor)
	case g.MemoryCriticalFloor < 0 || g.MemoryCriticalFloor > 95:
		return fmt.Errorf("memory critical floor must be within 0..95 (the runbook's cap), got %g", g.MemoryCriticalFloor)
	case g.MemoryWarningFloor >= g.MemoryCriticalFloor:
		return fmt.Errorf("memory warning floor %g must be below the critical floor %g", g.MemoryWarningFloor, g.MemoryCriticalFloor)
	}
	return nil
}

// Derivation is a warning/critical pair derived from one quantity's
// baseline. When Applied is false the pair must not be used (the existing
// thresholds stay) and Notes say why. Notes also record every guard that
// changed a value, so no threshold moves without the report saying so.
type Derivation struct {
	Quantity string   `json:"quantity"`
	Unit     string   `json:"unit"`
	Formula  string   `json:"formula"`
	Warning  float64  `json:"warning"`
	Critical float64  `json:"critical"`
	Applied  bool     `json:"applied"`
	Notes    []string `json:"notes,omitempty"`
}

func (d *Derivation) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

func (d *Derivation) refuse(format string, args ...any) Derivation {
	d.Applied = false
	d.note("not derived: "+format, args...)
	return *d
}

// checkSamples refuses derivation from an empty or too short baseline.
func (d *Derivation) checkSamples(s Summary, g Guards) bool {
	if s.Count == 0 {
		d.refuse("no samples in the window (is the metric scraped, and do the selectors match?)")
		return false
	}
	if s.Count < g.MinSamples {
		d.refuse("only %d samples, need at least %d (widen --window or shorten --step)", s.Count, g.MinSamples)
		return false
	}
	return true
}

// DeriveCPU derives CPU levels: warning = mean + 2σ, critical = mean + 3σ (percent), raised to
// the CPU floors and capped at 100.
func DeriveCPU(s Summary, g Guards) Derivation {
	d := Derivation{Quantity: QCPU, Unit: UnitPercent, Formula: "warning = mean + 2σ, critical = mean + 3σ"}
	if !d.checkSamples(s, g) {
		return d
	}
	if isFlat(s) {
		// σ = 0 makes warning == critical == mean: a constant series is a
		// stuck or synthetic metric, not a baseline.
		return d.refuse("the series is flat (σ = 0 over %d samples); a σ-based threshold needs variation", s.Count)
	}
	d.Warning, d.Critical = s.Mean+2*s.Stdev, s.Mean+3*s.Stdev
	d.Warning = d.raiseToFloor("warning", d.Warning, g.CPUWarningFloor)
	d.Critical = d.raiseToFloor("critical", d.Critical, g.CPUCriticalFloor)
	return d.finishPercent(s)
}

// DeriveMemory derives memory levels: warning = min(85, mean + 10), critical
// = min(95, mean + 20), raised to the memory floors.
func DeriveMemory(s Summary, g Guards) Derivation {
	d := Derivation{Quantity: QMemory, Unit: UnitPercent, Formula: "warning = min(85, mean + 10), critical = min(95, mean + 20)"}
	if !d.checkSamples(s, g) {
		return d
	}
	if isFlat(s) {
		d.note("the series is flat (%.2f%% in all %d samples): is the exporter stuck? The formula does not need σ, so thresholds are derived anyway", s.Mean, s.Count)
	}
	d.Warning = d.capAt("warning", s.Mean+10, 85, "the runbook's limit")
	d.Critical = d.capAt("critical", s.Mean+20, 95, "the runbook's limit")
	d.Warning = d.raiseToFloor("warning", d.Warning, g.MemoryWarningFloor)
	d.Critical = d.raiseToFloor("critical", d.Critical, g.MemoryCriticalFloor)
	return d.finishPercent(s)
}

// DeriveLatency derives latency levels: warning = p95 × 1.5, critical = p95 × 2, where p95 is the
// 95th percentile over the window of the p95-latency series (seconds).
func DeriveLatency(s Summary, g Guards) Derivation {
	d := Derivation{Quantity: QLatencyP95, Unit: UnitSeconds, Formula: "warning = p95 × 1.5, critical = p95 × 2"}
	if !d.checkSamples(s, g) {
		return d
	}
	if s.P95 <= 0 {
		return d.refuse("p95 latency is %g s; a multiple of it cannot be a threshold", s.P95)
	}
	d.Warning, d.Critical = s.P95*1.5, s.P95*2
	return d.finish(s)
}

// DeriveErrorRate derives error-rate levels: warning = max(5, 2 × mean), critical = max(10, 3 × mean)
// (percent of requests answered 5xx), capped at 100.
func DeriveErrorRate(s Summary, g Guards) Derivation {
	d := Derivation{Quantity: QErrorRate, Unit: UnitPercent, Formula: "warning = max(5%, 2 × mean), critical = max(10%, 3 × mean)"}
	if !d.checkSamples(s, g) {
		return d
	}
	d.Warning, d.Critical = math.Max(5, 2*s.Mean), math.Max(10, 3*s.Mean)
	return d.finishPercent(s)
}

func (d *Derivation) raiseToFloor(which string, v, floor float64) float64 {
	if v < floor {
		d.note("%s raised from %.2f to the floor %g", which, v, floor)
		return floor
	}
	return v
}

func (d *Derivation) capAt(which string, v, limit float64, why string) float64 {
	if v > limit {
		d.note("%s capped at %g (%s); the formula gave %.2f", which, limit, why, v)
		return limit
	}
	return v
}

// finishPercent caps percentages at 100 (nothing exceeds it, and a
// threshold above 100 would silently never fire) and then runs finish.
func (d *Derivation) finishPercent(s Summary) Derivation {
	d.Warning = d.capAt("warning", d.Warning, 100, "a percentage")
	d.Critical = d.capAt("critical", d.Critical, 100, "a percentage")
	if d.Critical >= 100 && d.Warning < 100 {
		d.note("critical at 100%% fires only if the quantity is above 100%%, which it cannot be: review by hand")
	}
	return d.finish(s)
}

// finish enforces warning < critical and flags thresholds that the
// baseline itself already crosses.
func (d *Derivation) finish(s Summary) Derivation {
	if math.IsNaN(d.Warning) || math.IsNaN(d.Critical) {
		return d.refuse("the formula gave NaN")
	}
	if d.Warning < 0 || d.Critical < 0 {
		return d.refuse("negative threshold (warning %.4g, critical %.4g)", d.Warning, d.Critical)
	}
	if d.Warning >= d.Critical {
		return d.refuse("warning %.4g is not below critical %.4g after the guards", d.Warning, d.Critical)
	}
	// Round as the thresholds file will hold them (percent to 0.1, seconds
	// to 3 significant digits), so the JSON, the report and the file agree
	// and nobody reads 4.199999999999999; keep the exact values if rounding
	// would merge the two levels.
	if w, c := Round(d.Warning, d.Unit), Round(d.Critical, d.Unit); w < c {
		d.Warning, d.Critical = w, c
	}
	if d.Warning <= s.Mean {
		d.note("warning %.4g is at or below the baseline mean %.4g: it will fire under normal load", d.Warning, s.Mean)
	}
	d.Applied = true
	return *d
}

// isFlat reports a series without variation, allowing for float noise in
// values computed by PromQL (1 - x/y).
func isFlat(s Summary) bool {
	return s.Count > 1 && s.Max-s.Min <= 1e-9*math.Max(1, math.Abs(s.Mean))
}
