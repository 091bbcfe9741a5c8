package baseline

import (
	"fmt"
	"math"
	"strconv"

	"github.com/golive-ops/golive/internal/thresholds"
)

// SelectorsFrom returns the selectors the generated rules use for t: each
// source's job regex, and the application's error status matcher. Using them
// makes the baseline measure exactly the series the alerts will watch.
func SelectorsFrom(t *thresholds.Thresholds) Selectors {
	job := func(re string) string {
		if re == "" {
			return ""
		}
		return "job=~" + strconv.Quote(re)
	}
	errs := ""
	if t.Application.StatusLabel != "" && t.Application.ErrorStatus != "" {
		errs = t.Application.StatusLabel + "=~" + strconv.Quote(t.Application.ErrorStatus)
	}
	return Selectors{
		Node:      job(t.Jobs.Host),
		App:       job(t.Jobs.Application),
		Postgres:  job(t.Jobs.Postgres),
		Redis:     job(t.Jobs.Redis),
		AppErrors: errs,
	}
}

// target is where one derivation lands in the thresholds file.
type target struct {
	quantity          string
	path              string // YAML path of the section, for the report
	key               string // key suffix: percent or seconds
	warning, critical **float64
	dashboardYellow   **float64 // host panels only
	roundTo           func(float64) float64
	unit              string
}

func targets(t *thresholds.Thresholds) []target {
	return []target{
		{QCPU, "host.cpu", "percent", &t.Host.CPU.WarningPercent, &t.Host.CPU.CriticalPercent, &t.Host.CPU.DashboardYellowPercent, roundPercent, UnitPercent},
		{QMemory, "host.memory", "percent", &t.Host.Memory.WarningPercent, &t.Host.Memory.CriticalPercent, &t.Host.Memory.DashboardYellowPercent, roundPercent, UnitPercent},
		{QLatencyP95, "application.latency_p95", "seconds", &t.Application.LatencyP95.WarningSeconds, &t.Application.LatencyP95.CriticalSeconds, nil, roundSeconds, UnitSeconds},
		{QErrorRate, "application.error_rate", "percent", &t.Application.ErrorRate.WarningPercent, &t.Application.ErrorRate.CriticalPercent, nil, roundPercent, UnitPercent},
	}
}

// Apply writes every applied derivation of b into t, which stays valid, and
// returns one Change per threshold touched or kept. Derived levels replace
// both warning and critical, enabling a level the file had disabled (the
// report says so). Values are rounded for people: percentages to 0.1,
// seconds to three significant digits. A host panel's dashboard yellow step
// that would no longer sit below the first alert level is lowered to 10
// points under it.
func Apply(t *thresholds.Thresholds, b *Baseline) ([]Change, error) {
	var changes []Change
	for _, tg := range targets(t) {
		d, ok := b.Derivation(tg.quantity)
		if !ok {
			continue
		}
		warnKey, critKey := tg.path+".warning_"+tg.key, tg.path+".critical_"+tg.key
		if !d.Applied {
			changes = append(changes,
				Change{Threshold: warnKey, Unit: tg.unit, Old: *tg.warning, New: *tg.warning},
				Change{Threshold: critKey, Unit: tg.unit, Old: *tg.critical, New: *tg.critical})
			continue
		}
		w, c := tg.roundTo(d.Warning), tg.roundTo(d.Critical)
		if w >= c {
			// Rounding merged two levels a hair apart: keep the exact ones.
			w, c = d.Warning, d.Critical
		}
		changes = append(changes,
			Change{Threshold: warnKey, Unit: tg.unit, Old: *tg.warning, New: thresholds.Float(w), Applied: true},
			Change{Threshold: critKey, Unit: tg.unit, Old: *tg.critical, New: thresholds.Float(c), Applied: true})
		*tg.warning, *tg.critical = thresholds.Float(w), thresholds.Float(c)
		if tg.dashboardYellow != nil && *tg.dashboardYellow != nil && **tg.dashboardYellow >= w {
			y := math.Max(0, w-10)
			changes = append(changes, Change{Threshold: tg.path + ".dashboard_yellow_percent", Unit: tg.unit, Old: *tg.dashboardYellow, New: thresholds.Float(y), Applied: true})
			*tg.dashboardYellow = thresholds.Float(y)
		}
	}
	if err := t.Validate(); err != nil {
		return changes, fmt.Errorf("derived thresholds are not valid: %w", err)
	}
	return changes, nil
}

// Round rounds a derived level for people: percentages to 0.1, seconds to
// three significant digits, anything else unchanged.
func Round(v float64, unit string) float64 {
	switch unit {
	case UnitPercent:
		return roundPercent(v)
	case UnitSeconds:
		return roundSeconds(v)
	}
	return v
}

func roundPercent(v float64) float64 { return math.Round(v*10) / 10 }

func roundSeconds(v float64) float64 {
	if v == 0 {
		return 0
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return f
}
