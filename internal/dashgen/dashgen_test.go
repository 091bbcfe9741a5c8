package dashgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/rulegen"
	"github.com/golive-ops/golive/internal/thresholds"
)

// variants are the thresholds every structural test runs on: the defaults
// and one with every level set.
func variants() map[string]*thresholds.Thresholds {
	all := thresholds.Default()
	all.Host.CPU.CriticalPercent = thresholds.Float(95)
	all.Host.Memory.WarningPercent = thresholds.Float(80)
	all.Application.LatencyP95.CriticalSeconds = thresholds.Float(6)
	all.Postgres.Deadlocks.CriticalCount = thresholds.Float(5)
	all.Host.Disk.WarningPercent = nil // only critical left
	all.Host.Disk.CriticalPercent = thresholds.Float(92)
	return map[string]*thresholds.Thresholds{"default": thresholds.Default(), "all-levels": all}
}

func build(t *testing.T, th *thresholds.Thresholds) map[string]Dashboard {
	t.Helper()
	c, err := rulegen.NewCatalog(th)
	if err != nil {
		t.Fatal(err)
	}
	return Dashboards(th, c)
}

func TestLayout(t *testing.T) {
	for _, d := range build(t, thresholds.Default()) {
		ids := map[int]bool{}
		for i, p := range d.Panels {
			if ids[p.ID] {
				t.Errorf("%s: duplicate panel id %d", d.UID, p.ID)
			}
			ids[p.ID] = true
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
				t.Errorf("%s: panel %q gridPos %+v leaves the 24-column grid", d.UID, p.Title, g)
			}
			for _, q := range d.Panels[:i] {
				o := q.GridPos
				if g.X < o.X+o.W && o.X < g.X+g.W && g.Y < o.Y+o.H && o.Y < g.Y+g.H {
					t.Errorf("%s: panels %q and %q overlap", d.UID, q.Title, p.Title)
				}
			}
		}
	}
}

// grafanaVars stand in for Grafana's interval variables so the parser sees
// a valid duration.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

func TestQueriesParseAndPanelsHaveUnits(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for _, d := range build(t, thresholds.Default()) {
		for _, panel := range d.Panels {
			if panel.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s: panel %q has no unit", d.UID, panel.Title)
			}
			if panel.Datasource.UID != "${datasource}" || len(panel.Targets) == 0 {
				t.Errorf("%s: panel %q: datasource %+v, %d targets", d.UID, panel.Title, panel.Datasource, len(panel.Targets))
			}
			for _, target := range panel.Targets {
				if target.Datasource.UID != "${datasource}" {
					t.Errorf("%s: panel %q target %s does not use $datasource", d.UID, panel.Title, target.RefID)
				}
				if strings.Contains(target.Expr, "rate(") && strings.Contains(target.Expr, "[") && !strings.Contains(target.Expr, "$__rate_interval") {
					t.Errorf("%s: panel %q: raw rate without $__rate_interval: %s", d.UID, panel.Title, target.Expr)
				}
				if _, err := p.ParseExpr(grafanaVars.Replace(target.Expr)); err != nil {
					t.Errorf("%s: panel %q: %s: %v", d.UID, panel.Title, target.Expr, err)
				}
			}
		}
	}
}

func TestOverviewMatchesRunbook(t *testing.T) {
	d := build(t, thresholds.Default())["overview"]
	if d.Title != "IT infrastructure overview" || d.Refresh != "30s" {
		t.Errorf("title %q refresh %q", d.Title, d.Refresh)
	}
	want := map[string]string{
		"Service status": "stat", "System load": "timeseries", "CPU usage": "stat", "Memory usage": "gauge",
		"Disk usage": "bargauge", "Network traffic": "timeseries", "Response time p95": "timeseries",
		"Database connections": "timeseries", "Error rate": "timeseries",
	}
	got := map[string]Panel{}
	for _, p := range d.Panels {
		got[p.Title] = p
	}
	for title, typ := range want {
		if got[title].Type != typ {
			t.Errorf("panel %q: type %q, want %q", title, got[title].Type, typ)
		}
	}
	steps := func(title string) string {
		return fmt.Sprint(stepText(got[title].FieldConfig.Defaults.Thresholds.Steps))
	}
	for title, wantSteps := range map[string]string{
		"CPU usage":    "[green yellow@0.7 red@0.85]",
		"Memory usage": "[green yellow@0.75 red@0.9]",
		"Error rate":   "[green orange@0.05 red@0.1]",
	} {
		if s := steps(title); s != wantSteps {
			t.Errorf("panel %q steps %s, want %s", title, s, wantSteps)
		}
	}
	if got["Error rate"].FieldConfig.Defaults.Custom.ThresholdsStyle.Mode != "line" {
		t.Error("the error rate panel should draw its thresholds as lines")
	}
	if got["Network traffic"].FieldConfig.Defaults.Unit != "bps" {
		t.Error("network traffic should be in bits per second")
	}
}

func stepText(steps []Step) []string {
	var out []string
	for _, s := range steps {
		if s.Value == nil {
			out = append(out, s.Color)
			continue
		}
		out = append(out, fmt.Sprintf("%s@%v", s.Color, *s.Value))
	}
	return out
}

// TestPanelThresholdsEqualAlerts reads the generated rule files, takes each
// alert's threshold from its PromQL expression, and checks that every panel
// showing that alert has exactly those values as its non-base steps (plus
// the dashboard-only yellow step of the thresholds file).
func TestPanelThresholdsEqualAlerts(t *testing.T) {
	for name, th := range variants() {
		t.Run(name, func(t *testing.T) {
			levels := alertThresholds(t, th)
			yellow := map[string]*float64{
				"HostCPUUsageHigh":    th.Host.CPU.DashboardYellowPercent,
				"HostMemoryUsageHigh": th.Host.Memory.DashboardYellowPercent,
				"HostDiskUsageHigh":   th.Host.Disk.DashboardYellowPercent,
			}
			checked := 0
			for _, d := range build(t, th) {
				for _, p := range d.Panels {
					if len(p.alerts) == 0 {
						continue
					}
					var want []float64
					for _, a := range p.alerts {
						want = append(want, levels[a]...)
						if y := yellow[a]; y != nil {
							want = append(want, *y/100)
						}
					}
					var got []float64
					for _, s := range p.FieldConfig.Defaults.Thresholds.Steps[1:] {
						got = append(got, *s.Value)
					}
					sort.Float64s(want)
					sort.Float64s(got)
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s panel %q: steps %v, alerts %v use %v", d.UID, p.Title, got, p.alerts, want)
					}
					checked++
				}
			}
			if checked < 10 {
				t.Errorf("only %d panels carry alert thresholds", checked)
			}
		})
	}
}

// alertThresholds parses the generated rule files: alert name → the number
// each of its rules compares against.
func alertThresholds(t *testing.T, th *thresholds.Thresholds) map[string][]float64 {
	t.Helper()
	files, err := rulegen.Generate(th)
	if err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	out := map[string][]float64{}
	for name, data := range files {
		if strings.HasPrefix(name, "tests/") {
			continue
		}
		var f struct {
			Groups []struct {
				Rules []struct{ Alert, Expr string }
			}
		}
		if err := yaml.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				expr, err := p.ParseExpr(r.Expr)
				if err != nil {
					t.Fatalf("%s: %s: %v", name, r.Expr, err)
				}
				bin, ok := expr.(*parser.BinaryExpr)
				if !ok {
					t.Fatalf("%s: alert %s: %s is not a comparison", name, r.Alert, r.Expr)
				}
				if num, ok := bin.RHS.(*parser.NumberLiteral); ok {
					out[r.Alert] = append(out[r.Alert], num.Val)
				}
			}
		}
	}
	return out
}

// TestJSONHasNoNullsOrDuplicateKeys walks the generated JSON: the only null
// allowed is a threshold base step's value, and no object repeats a key.
func TestJSONHasNoNullsOrDuplicateKeys(t *testing.T) {
	files, err := Generate(thresholds.Default())
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := walk(dec, name); err != nil {
			t.Error(err)
		}
	}
}

// walk reads one JSON value from dec, checking objects for repeated keys and
// nulls, with path naming the position.
func walk(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch v := tok.(type) {
	case nil:
		if !strings.HasSuffix(path, "].value") || !strings.Contains(path, ".steps[0]") {
			return fmt.Errorf("%s: null", path)
		}
	case json.Delim:
		switch v {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key := k.(string)
				if seen[key] {
					return fmt.Errorf("%s: duplicate key %q", path, key)
				}
				seen[key] = true
				if err := walk(dec, path+"."+key); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		case '[':
			for i := 0; dec.More(); i++ {
				if err := walk(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

func TestDeterministic(t *testing.T) {
	a, err := Generate(thresholds.Default())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(thresholds.Default())
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between runs", name)
		}
	}
}
