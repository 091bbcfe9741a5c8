package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// generatedRuleFiles lists the repository's generated rule files; the chain
// cannot be tested without them.
func generatedRuleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(mustRepoRoot(t), "rules", "*.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no rules/*.rules.yml in the repository: run `golive generate` (make generate)")
	}
	return files
}

// copyRulesFast copies rule files into dir with every alert's `for` cut to
// at most maxFor and every group's own interval set to interval, so the real
// generated expressions fire within seconds. It returns the alert names.
func copyRulesFast(srcs []string, dir string, maxFor, interval time.Duration) ([]string, error) {
	var alerts []string
	for _, src := range srcs {
		in, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		out, names, err := shortenRules(in, maxFor, interval)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		alerts = append(alerts, names...)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), out, 0o644); err != nil {
			return nil, err
		}
	}
	return alerts, nil
}

// shortenRules rewrites one rule file (see copyRulesFast). It edits the YAML
// tree in place, so expressions, labels and annotations stay byte for byte.
func shortenRules(in []byte, maxFor, interval time.Duration) ([]byte, []string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(in, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) != 1 {
		return nil, nil, fmt.Errorf("want one YAML document")
	}
	groups := mapValue(doc.Content[0], "groups")
	if groups == nil || groups.Kind != yaml.SequenceNode {
		return nil, nil, fmt.Errorf("no groups list")
	}
	var alerts []string
	for gi, g := range groups.Content {
		if iv := mapValue(g, "interval"); iv != nil {
			iv.Value = model.Duration(interval).String()
		}
		rules := mapValue(g, "rules")
		if rules == nil {
			return nil, nil, fmt.Errorf("groups[%d]: no rules", gi)
		}
		for ri, r := range rules.Content {
			name := mapValue(r, "alert")
			if name == nil {
				continue
			}
			alerts = append(alerts, name.Value)
			f := mapValue(r, "for")
			if f == nil {
				continue
			}
			d, err := model.ParseDuration(f.Value)
			if err != nil {
				return nil, nil, fmt.Errorf("groups[%d].rules[%d] (%s): for: %w", gi, ri, name.Value, err)
			}
			if time.Duration(d) > maxFor {
				f.Value = model.Duration(maxFor).String()
			}
		}
	}
	out, err := yaml.Marshal(&doc)
	return out, alerts, err
}

// mapValue returns the value node of key in a YAML mapping, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func TestShortenRules(t *testing.T) {
	const in = `groups:
  - name: probes
    interval: 30s
    rules:
      - record: job:probe_success:avg
        expr: avg by (job) (probe_success)
      - alert: ProbeFailed
        expr: probe_success{job=~"blackbox.*|golive"} == 0
        for: 1m
        labels:
          severity: critical
      - alert: Quick
        expr: vector(1) > 0
        for: 1s
      - alert: NoFor
        expr: vector(1) > 0
`
	out, alerts, err := shortenRules([]byte(in), 2*time.Second, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(alerts, ","), "ProbeFailed,Quick,NoFor"; got != want {
		t.Errorf("alerts = %s, want %s", got, want)
	}
	var got struct {
		Groups []struct {
			Interval string `yaml:"interval"`
			Rules    []struct {
				Record, Alert, Expr, For string
				Labels                   map[string]string
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	g := got.Groups[0]
	if g.Interval != "1s" {
		t.Errorf("interval = %q, want 1s", g.Interval)
	}
	wantFor := []string{"", "2s", "1s", ""}
	for i, r := range g.Rules {
		if r.For != wantFor[i] {
			t.Errorf("rule %d for = %q, want %q", i, r.For, wantFor[i])
		}
	}
	if g.Rules[1].Expr != `probe_success{job=~"blackbox.*|golive"} == 0` || g.Rules[1].Labels["severity"] != "critical" {
		t.Errorf("ProbeFailed changed beyond for: %+v", g.Rules[1])
	}

	for _, bad := range []string{"groups: 1\n", "a: b\n", "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: up\n        for: soon\n"} {
		if _, _, err := shortenRules([]byte(bad), time.Second, time.Second); err == nil {
			t.Errorf("shortenRules(%q) = nil error", bad)
		}
	}
}
