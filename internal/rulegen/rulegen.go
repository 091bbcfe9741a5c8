// Package rulegen turns a thresholds file into Prometheus rule files
// (recording rules and alerts) and promtool unit tests for every alert.
//
// Alerts never repeat a derived expression: each derived quantity (CPU
// utilisation, p95 latency, error ratio, ...) is a recording rule named
// level:metric:operations, and both the alerts and the generated dashboards
// read that series. Thresholds are exact rationals (see exact.go), so the
// unit tests can put a sample exactly at a threshold.
package rulegen

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/thresholds"
)

// Unit says how an alert's value is measured and shown.
type Unit int

// Units of alert values. Ratios are 0–1 (Prometheus base units); the
// thresholds file states them in percent.
const (
	Ratio Unit = iota
	Seconds
	Count
	Bool // 1 healthy, 0 failed
)

// Direction says which side of a level is bad.
type Direction int

// Directions.
const (
	Above  Direction = iota // bad when value > level
	Below                   // bad when value < level
	IsZero                  // bad when value == 0
)

// Level is one alerting level of an alert.
type Level struct {
	Severity thresholds.Severity
	// Value is the threshold in the alert's base unit, exactly.
	Value *big.Rat
	// Display is the threshold as the thresholds file states it (85%, 3s).
	Display string
}

// Threshold is the level as the float64 the rule's literal parses to.
func (l Level) Threshold() float64 { return float(l.Value) }

// Literal is the level as written in the rule expression.
func (l Level) Literal() string { return decimal(l.Value) }

// Alert is one alert name; it has a rule per level (warning, critical), or a
// single rule for a binary condition.
type Alert struct {
	Name  string
	Group string
	// Metric is the series the alert compares: a recording rule or a raw
	// metric; Selector holds the label matchers for a raw metric.
	Metric    string
	Selector  string
	Direction Direction
	Unit      Unit
	Levels    []Level
	For       time.Duration
	Summary   string
	// Description is a Prometheus template; <value>, <threshold> and <for>
	// are replaced when the rule is written.
	Description string
	// Service is the service label's value (may be a template).
	Service string
	// Sample is the label set of the series the unit tests feed the alert;
	// Foreign, when set, is a series the selector must ignore.
	Sample  map[string]string
	Foreign map[string]string
}

// Expr is the rule expression of level l.
func (a Alert) Expr(l Level) string {
	lhs := a.Metric
	if a.Selector != "" {
		lhs += "{" + a.Selector + "}"
	}
	switch a.Direction {
	case Below:
		return lhs + " < " + l.Literal()
	case IsZero:
		return lhs + " == 0"
	default:
		return lhs + " > " + l.Literal()
	}
}

// Recording is one recording rule with its unit test.
type Recording struct {
	Group  string
	Record string
	Expr   string
	test   recordingTest
}

type recordingTest struct {
	interval time.Duration
	inputs   []inputSeries
	evalTime time.Duration
	expect   []expSample
}

type inputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type expSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// Catalog is every recording rule and alert derived from one thresholds file.
type Catalog struct {
	RunbookURL string
	Recordings []Recording
	Alerts     []Alert
}

// Alert returns the alert called name.
func (c *Catalog) Alert(name string) (Alert, bool) {
	for _, a := range c.Alerts {
		if a.Name == name {
			return a, true
		}
	}
	return Alert{}, false
}

// Groups lists the rule file stems in a stable order.
func (c *Catalog) Groups() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range c.Recordings {
		if !seen[r.Group] {
			seen[r.Group] = true
			out = append(out, r.Group)
		}
	}
	for _, a := range c.Alerts {
		if !seen[a.Group] {
			seen[a.Group] = true
			out = append(out, a.Group)
		}
	}
	return out
}

// seriesText writes a series in PromQL/promtool notation with sorted labels.
func seriesText(name string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return name + "{" + strings.Join(parts, ", ") + "}"
}

func with(base map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(base)+len(kv)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func durationString(d time.Duration) string { return model.Duration(d).String() }
