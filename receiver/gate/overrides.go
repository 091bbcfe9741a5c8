package gate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	engine "github.com/golive-ops/golive/internal/gate"
)

// EvaluateWith evaluates the gate with some checks' thresholds replaced,
// by check name: a rollout's user batch has its own (R2.2: the IT
// department tolerates more errors than sales). Such a decision is stored
// like any other but is never cached or served to other callers; without
// overrides it is Evaluate. An override naming no check of the gate is an
// error.
func (s *Service) EvaluateWith(ctx context.Context, name string, thresholds map[string]float64) (Decision, error) {
	if len(thresholds) == 0 {
		return s.Evaluate(ctx, name)
	}
	g, ok := s.gates[name]
	if !ok {
		return Decision{}, fmt.Errorf("%w %q", ErrUnknownGate, name)
	}
	spec := g.spec
	spec.Checks = slices.Clone(g.spec.Checks)
	used := 0
	for i, c := range spec.Checks {
		if t, ok := thresholds[c.Name]; ok {
			spec.Checks[i].Threshold = t
			used++
		}
	}
	if used != len(thresholds) {
		return Decision{}, fmt.Errorf("gate %q has no check %s (its checks: %s)", name, strings.Join(unknownChecks(spec.Checks, thresholds), ", "),
			strings.Join(s.CheckNames(name), ", "))
	}
	return s.evaluate(ctx, g, spec)
}

// CheckNames lists a gate's checks (nil for an unknown gate).
func (s *Service) CheckNames(name string) []string {
	g, ok := s.gates[name]
	if !ok {
		return nil
	}
	var out []string
	for _, c := range g.spec.Checks {
		out = append(out, c.Name)
	}
	return out
}

func unknownChecks(checks []engine.Check, thresholds map[string]float64) []string {
	known := map[string]bool{}
	for _, c := range checks {
		known[c.Name] = true
	}
	var out []string
	for _, n := range slices.Sorted(maps.Keys(thresholds)) {
		if !known[n] {
			out = append(out, fmt.Sprintf("%q", n))
		}
	}
	return out
}
