package incident

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/store"
)

// Grader applies ordered grading rules: the first rule that matches an
// alert gives its priority, else the default.
type Grader struct {
	rules     []rule
	def       store.Priority
	valueFrom []string
}

type rule struct {
	name     string
	priority store.Priority
	matchers []*labels.Matcher
	cond     *config.Condition
}

// DefaultRule names the fallback in a GradeReason.
const DefaultRule = "default"

// NewGrader compiles the grading config; valueFrom is incidents.value_from.
func NewGrader(g config.Grading, valueFrom []string) (*Grader, error) {
	gr := &Grader{def: g.Default, valueFrom: valueFrom}
	for i, r := range g.Rules {
		ms, err := r.ParsedMatchers()
		if err != nil {
			return nil, fmt.Errorf("grading.rules[%d] (%s).%w", i, r.Name, err)
		}
		gr.rules = append(gr.rules, rule{name: r.Name, priority: r.Priority, matchers: ms, cond: r.Value})
	}
	return gr, nil
}

// AlertLabelRule names, in a GradeReason, a grade taken from the alert's
// own priority label (which `golive generate` sets on every alert).
const AlertLabelRule = "alert-priority-label"

// Grade returns the priority of one alert and why: the first configured rule
// that matches, else the alert's own valid priority label, else the default.
func (g *Grader) Grade(lbls, annotations map[string]string) (store.Priority, store.GradeReason) {
	for _, r := range g.rules {
		if reason, ok := g.match(r, lbls, annotations); ok {
			return r.priority, reason
		}
	}
	if p := store.Priority(lbls["priority"]); p.Valid() {
		return p, store.GradeReason{Rule: AlertLabelRule, Matched: map[string]string{"priority": string(p)}}
	}
	return g.def, store.GradeReason{Rule: DefaultRule}
}

func (g *Grader) match(r rule, lbls, annotations map[string]string) (store.GradeReason, bool) {
	reason := store.GradeReason{Rule: r.name, Matched: map[string]string{}}
	for _, m := range r.matchers {
		v := lbls[m.Name]
		if !m.Matches(v) {
			return reason, false
		}
		reason.Matched["labels."+m.Name] = v
	}
	if r.cond == nil {
		return reason, true
	}
	sources := g.valueFrom
	if r.cond.From != "" {
		sources = []string{r.cond.From}
	}
	src, raw, ok := lookupValue(sources, lbls, annotations)
	if !ok {
		return reason, false
	}
	v, err := ParseValue(raw)
	if err != nil || !compare(v, r.cond.Op, r.cond.Threshold) {
		return reason, false
	}
	reason.Matched[src] = raw
	reason.Value = &v
	return reason, true
}

func lookupValue(sources []string, lbls, annotations map[string]string) (src, raw string, ok bool) {
	for _, s := range sources {
		kind, name, _ := strings.Cut(s, ".")
		m := lbls
		if kind == "annotations" {
			m = annotations
		}
		if v, found := m[name]; found && v != "" {
			return s, v, true
		}
	}
	return "", "", false
}

// ParseValue reads an alert value: a float ("0.97", "1e3", "NaN" is
// refused), a percentage ("97%" is 0.97, matching ratio thresholds) or a Go
// duration ("12.5s", "1m30s") in seconds.
func ParseValue(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := parseFinite(strings.TrimSpace(p))
		return f / 100, err
	}
	if f, err := parseFinite(s); err == nil {
		return f, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("value %q is not a number, percentage or duration", s)
	}
	return d.Seconds(), nil
}

func parseFinite(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if f != f || f > 1e308 || f < -1e308 {
		return 0, fmt.Errorf("value %q is not finite", s)
	}
	return f, nil
}

func compare(v float64, op string, t float64) bool {
	switch op {
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
