package rulegen

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// promtool test rules file, limited to the fields Prometheus 2.42 knows.
type testFile struct {
	RuleFiles          []string       `yaml:"rule_files"`
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	Tests              []testGroup    `yaml:"tests"`
}

type testGroup struct {
	Name           string           `yaml:"name"`
	Interval       model.Duration   `yaml:"interval"`
	InputSeries    []inputSeries    `yaml:"input_series"`
	AlertRuleTest  []alertRuleTest  `yaml:"alert_rule_test,omitempty"`
	PromQLExprTest []promQLExprTest `yaml:"promql_expr_test,omitempty"`
}

type alertRuleTest struct {
	EvalTime  model.Duration `yaml:"eval_time"`
	Alertname string         `yaml:"alertname"`
	ExpAlerts []expAlert     `yaml:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

type promQLExprTest struct {
	Expr       string         `yaml:"expr"`
	EvalTime   model.Duration `yaml:"eval_time"`
	ExpSamples []expSample    `yaml:"exp_samples"`
}

// phase is a run of identical samples.
type phase struct {
	value   *big.Rat
	samples int
}

func seriesValues(phases ...phase) string {
	parts := make([]string, 0, len(phases))
	for _, p := range phases {
		v := decimal(p.value)
		if p.samples == 1 {
			parts = append(parts, v)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s+0x%d", v, p.samples-1))
	}
	return strings.Join(parts, " ")
}

// evalInterval is the step of a rule file's tests: it divides every "for"
// and every recording test's sampling, so a breach can be exactly one step
// shorter than "for".
func evalInterval(alerts []Alert, recs []Recording) time.Duration {
	step := time.Minute
	for _, a := range alerts {
		if a.For > 0 {
			step = gcd(step, a.For)
		}
	}
	for _, r := range recs {
		step = gcd(step, r.test.interval)
	}
	return step
}

func recordingGroup(r Recording) testGroup {
	return testGroup{
		Name:        "recording rule " + r.Record,
		Interval:    model.Duration(r.test.interval),
		InputSeries: r.test.inputs,
		PromQLExprTest: []promQLExprTest{{
			Expr:       r.Record,
			EvalTime:   model.Duration(r.test.evalTime),
			ExpSamples: r.test.expect,
		}},
	}
}

// breaches reports whether value v is bad against level l.
func (a Alert) breaches(v *big.Rat, l Level) bool {
	switch a.Direction {
	case Below:
		return v.Cmp(l.Value) < 0
	case IsZero:
		return v.Sign() == 0
	default:
		return v.Cmp(l.Value) > 0
	}
}

// beyond returns a value past level l in the bad direction; between returns
// one strictly between two levels.
func (a Alert) beyond(l *big.Rat) *big.Rat {
	switch {
	case a.Direction == IsZero:
		return new(big.Rat)
	case a.Direction == Below && l.Sign() > 0:
		return quo(l, ratInt(2))
	case a.Direction == Below:
		return sub(l, ratInt(1))
	case a.Unit == Ratio && l.Cmp(ratInt(1)) < 0:
		return mid(l, ratInt(1))
	case l.Sign() > 0:
		return mul(l, ratInt(2))
	default:
		return add(l, ratInt(1))
	}
}

// healthy returns a value on the good side of every level, or nil when the
// first level leaves no room (a count above 0 cannot be undercut).
func (a Alert) healthy() *big.Rat {
	first := a.Levels[0].Value
	switch {
	case a.Direction == IsZero:
		return ratInt(1)
	case a.Direction == Above && first.Sign() > 0:
		return quo(first, ratInt(2))
	case a.Direction == Above:
		return nil
	case a.Unit == Ratio && first.Cmp(ratInt(1)) < 0:
		return mid(first, ratInt(1))
	case first.Sign() > 0:
		return mul(first, ratInt(2))
	default:
		return ratInt(1)
	}
}

// breachValue is a value that fires levels 0..k and no more.
func (a Alert) breachValue(k int) *big.Rat {
	if k+1 < len(a.Levels) {
		return mid(a.Levels[k].Value, a.Levels[k+1].Value)
	}
	return a.beyond(a.Levels[k].Value)
}

// expected lists the alerts firing for a value held longer than "for".
func (c *Catalog) expected(a Alert, v *big.Rat) ([]expAlert, error) {
	out := []expAlert{}
	for _, l := range a.Levels {
		if !a.breaches(v, l) {
			continue
		}
		labels := map[string]string{}
		for k, val := range a.Sample {
			labels[k] = val
		}
		for k, tmpl := range a.labels(l) {
			s, err := expand(tmpl, a.Sample, float(v))
			if err != nil {
				return nil, fmt.Errorf("alert %s label %s: %w", a.Name, k, err)
			}
			labels[k] = s
		}
		annotations := map[string]string{}
		for k, tmpl := range c.annotations(a, l) {
			s, err := expand(tmpl, a.Sample, float(v))
			if err != nil {
				return nil, fmt.Errorf("alert %s annotation %s: %w", a.Name, k, err)
			}
			annotations[k] = s
		}
		out = append(out, expAlert{ExpLabels: labels, ExpAnnotations: annotations})
	}
	return out, nil
}

// check is one evaluation of a test: at a step, expect the alert to fire
// (for the scenario's value) or expect silence.
type check struct {
	step  int
	fires bool
}

// alertGroups are the unit tests of one alert: it fires past each level
// after "for" (and not before), stays silent at each level and on the
// healthy side, and stays silent for a breach one step shorter than "for".
func (c *Catalog) alertGroups(a Alert, step time.Duration) ([]testGroup, error) {
	n := int(a.For / step)
	var groups []testGroup
	scenario := func(name string, v *big.Rat, phases []phase, checks ...check) error {
		in := []inputSeries{{seriesText(a.Metric, a.Sample), seriesValues(phases...)}}
		if a.Foreign != nil {
			in = append(in, inputSeries{seriesText(a.Metric, a.Foreign), seriesValues(phases...)})
		}
		g := testGroup{Name: a.Name + " " + name, Interval: model.Duration(step), InputSeries: in}
		for _, ch := range checks {
			exp := []expAlert{}
			if ch.fires {
				var err error
				if exp, err = c.expected(a, v); err != nil {
					return err
				}
			}
			g.AlertRuleTest = append(g.AlertRuleTest, alertRuleTest{
				EvalTime:  model.Duration(time.Duration(ch.step) * step),
				Alertname: a.Name,
				ExpAlerts: exp,
			})
		}
		groups = append(groups, g)
		return nil
	}

	for k, l := range a.Levels {
		v := a.breachValue(k)
		checks := []check{{n + 1, true}}
		if n >= 1 {
			checks = append([]check{{n - 1, false}}, checks...)
		}
		name := fmt.Sprintf("fires %s after %s beyond %s", l.Severity, durationString(a.For), l.Display)
		switch {
		case a.Direction == IsZero:
			name = fmt.Sprintf("fires %s when down for %s", l.Severity, durationString(a.For))
		case a.For == 0:
			name = fmt.Sprintf("fires %s beyond %s", l.Severity, l.Display)
		}
		if err := scenario(name, v, []phase{{v, n + 3}}, checks...); err != nil {
			return nil, err
		}
		if a.Direction == IsZero {
			continue
		}
		// At the level itself only the less severe levels fire.
		name = fmt.Sprintf("fires no %s at %s", l.Severity, l.Display)
		if err := scenario(name, l.Value, []phase{{l.Value, n + 3}}, check{n + 1, true}); err != nil {
			return nil, err
		}
	}
	calm := a.healthy()
	if calm != nil {
		if err := scenario("stays silent when healthy", calm, []phase{{calm, n + 3}}, check{n + 1, false}); err != nil {
			return nil, err
		}
	} else {
		calm = a.Levels[0].Value
	}
	if n >= 1 {
		worst := a.breachValue(len(a.Levels) - 1)
		name := "stays silent for a breach shorter than " + durationString(a.For)
		if err := scenario(name, worst, []phase{{calm, 2}, {worst, n}, {calm, 3}}, check{n + 1, false}, check{n + 3, false}); err != nil {
			return nil, err
		}
	}
	return groups, nil
}
