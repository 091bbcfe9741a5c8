package thresholds

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// Severity is a level as the runbook names it. Alerts carry the ecosystem's
// severity label (critical, warning, info) plus a priority label (P0–P3) the
// receiver grades on; the runbook's "emergency" is critical with priority P0.
type Severity string

// The runbook's severities.
const (
	Emergency Severity = "emergency"
	Critical  Severity = "critical"
	Warning   Severity = "warning"
	Info      Severity = "info"
)

// Severities lists every severity, most urgent first.
func Severities() []Severity { return []Severity{Emergency, Critical, Warning, Info} }

// Label is the value of the alert's severity label.
func (s Severity) Label() string {
	if s == Emergency {
		return string(Critical)
	}
	return string(s)
}

// Priority is the value of the alert's priority label.
func (s Severity) Priority() string {
	switch s {
	case Emergency:
		return "P0"
	case Critical:
		return "P1"
	case Warning:
		return "P2"
	default:
		return "P3"
	}
}

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool {
	for _, v := range Severities() {
		if s == v {
			return true
		}
	}
	return false
}

// UnmarshalText rejects unknown severities.
func (s *Severity) UnmarshalText(text []byte) error {
	v := Severity(text)
	if !v.Valid() {
		return fmt.Errorf("unknown severity %q (want emergency, critical, warning or info)", text)
	}
	*s = v
	return nil
}

// Level is one enabled alerting level of a quantity.
type Level struct {
	Severity Severity
	// Value is the threshold in the unit the file states for the quantity
	// (percent, seconds, days, count, rows); ages are in seconds.
	Value float64
}

func levels(warning, critical *float64) []Level {
	var out []Level
	if warning != nil {
		out = append(out, Level{Severity: Warning, Value: *warning})
	}
	if critical != nil {
		out = append(out, Level{Severity: Critical, Value: *critical})
	}
	return out
}

// Levels returns the enabled levels, warning first.
func (p PercentAbove) Levels() []Level { return levels(p.WarningPercent, p.CriticalPercent) }

// Levels returns the enabled levels, warning first.
func (p PercentBelow) Levels() []Level { return levels(p.WarningPercent, p.CriticalPercent) }

// Levels returns the enabled levels, warning first.
func (s SecondsAbove) Levels() []Level { return levels(s.WarningSeconds, s.CriticalSeconds) }

// Levels returns the enabled levels, warning first.
func (d DaysBelow) Levels() []Level { return levels(d.WarningDays, d.CriticalDays) }

// Levels returns the enabled levels, warning first.
func (c CountAbove) Levels() []Level { return levels(c.WarningCount, c.CriticalCount) }

// Levels returns the enabled levels, warning first.
func (r RowsAbove) Levels() []Level { return levels(r.WarningRows, r.CriticalRows) }

// Levels returns the enabled levels in seconds, warning first.
func (a AgeAbove) Levels() []Level {
	return levels(seconds(a.WarningAge), seconds(a.CriticalAge))
}

func seconds(d *model.Duration) *float64 {
	if d == nil {
		return nil
	}
	s := time.Duration(*d).Seconds()
	return &s
}
