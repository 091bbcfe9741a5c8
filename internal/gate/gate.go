// Package gate is the rollout gate's decision engine: from the evidence
// about a release (firing alerts, open incidents, PromQL values and the
// latest readiness report) it decides proceed, hold or rollback, and says
// why.
//
// It is pure: no store, no HTTP, no clock of its own. The receiver supplies
// the evidence through the Evidence interface, stores each Result and serves
// it to Flagger, Argo Rollouts and golive rollout. The rules, in order of
// strength (rollback beats hold beats proceed):
//
//   - a matching firing alert with severity critical ⇒ rollback, warning ⇒
//     hold (other severities are reported and do not decide);
//   - a matching open incident at or above the gate's priority ⇒ rollback;
//   - a check whose value breaches its threshold ⇒ its on_breach (hold or
//     rollback) once it has breached Consecutive evaluations in a row; a
//     breach that has not yet reached that count holds, so a gate never
//     proceeds on a breaching value;
//   - a check that needs traffic holds while the traffic query is below
//     MinTraffic ("not enough traffic");
//   - no data, a query error or an unreachable Prometheus ⇒ hold with that
//     reason, never proceed; the same for alerts or incidents that cannot be
//     read, and a required readiness report that is missing or not ready;
//   - observe-only checks are evaluated and reported but never decide.
package gate

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Decision is what a gate tells a rollout to do.
type Decision string

// The three decisions, weakest first.
const (
	Proceed  Decision = "proceed"
	Hold     Decision = "hold"
	Rollback Decision = "rollback"
)

// Valid reports whether d is one of the three decisions.
func (d Decision) Valid() bool { return d == Proceed || d == Hold || d == Rollback }

func (d Decision) strength() int {
	switch d {
	case Rollback:
		return 2
	case Hold:
		return 1
	default:
		return 0
	}
}

// Stronger returns the stronger of d and e.
func (d Decision) Stronger(e Decision) Decision {
	if e.strength() > d.strength() {
		return e
	}
	return d
}

// Op compares a check's value with its threshold; the check breaches when
// "value op threshold" holds.
type Op string

// Ops lists every comparison a check may use.
var Ops = []Op{">", ">=", "<", "<=", "==", "!="}

// ParseOp checks s is one of Ops.
func ParseOp(s string) (Op, error) {
	if slices.Contains(Ops, Op(s)) {
		return Op(s), nil
	}
	return "", fmt.Errorf("%q is not one of >, >=, <, <=, ==, !=", s)
}

// Holds reports whether "v op t" is true.
func (o Op) Holds(v, t float64) bool {
	switch o {
	case ">":
		return v > t
	case ">=":
		return v >= t
	case "<":
		return v < t
	case "<=":
		return v <= t
	case "==":
		return v == t
	case "!=":
		return v != t
	}
	return false
}

// worse reports whether a is a worse value than b for this op: the one
// closer to (or further past) breaching. A query returning several series
// is judged by its worst one.
func (o Op) worse(a, b float64) bool {
	switch o {
	case "<", "<=":
		return a < b
	case "==":
		return a == b // a match is what breaches
	case "!=":
		return a != b
	default:
		return a > b
	}
}

// Value is a sample value that encodes in JSON as a number when finite and
// as Prometheus's strings ("NaN", "+Inf", "-Inf") otherwise, which JSON
// numbers cannot carry.
type Value float64

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) {
	f := float64(v)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Value) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("gate value %s: %w", b, err)
	}
	*v = Value(f)
	return nil
}

// Alert is one firing alert the evidence offers.
type Alert struct {
	Fingerprint string            `json:"fingerprint"`
	AlertName   string            `json:"alertname"`
	Severity    string            `json:"severity,omitempty"`
	Labels      map[string]string `json:"labels"`
	IncidentID  int64             `json:"incidentId,omitempty"`
}

// Incident is one open incident the evidence offers.
type Incident struct {
	ID       int64             `json:"id"`
	Title    string            `json:"title"`
	Priority string            `json:"priority"` // P0 … P3
	State    string            `json:"state"`
	Labels   map[string]string `json:"labels"`
}

// Sample is one series of an instant query's answer.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Readiness is the latest go-live readiness report, as far as a gate cares.
type Readiness struct {
	// Known is false when no report exists.
	Known   bool   `json:"known"`
	Ready   bool   `json:"ready"`
	Summary string `json:"summary,omitempty"`
	// Failing are the required items keeping it from ready ("name:
	// reason"); each becomes a reason of the hold.
	Failing []string `json:"failing,omitempty"`
}

// Evidence is what the engine reads. Implementations bound every call with
// ctx; an error makes the gate hold with the error as the reason, so errors
// must not carry secrets.
type Evidence interface {
	// FiringAlerts returns the firing alerts the gate's matchers select.
	FiringAlerts(ctx context.Context) ([]Alert, error)
	// OpenIncidents returns the open incidents the gate's incident
	// selector matches at or above its priority.
	OpenIncidents(ctx context.Context) ([]Incident, error)
	// Query evaluates an instant PromQL query now.
	Query(ctx context.Context, query string) ([]Sample, error)
	// Readiness returns the latest readiness report.
	Readiness(ctx context.Context) (Readiness, error)
}
