package rules

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

func alertNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	read(t, path, &f)
	out := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out[r.Alert] = true
			}
		}
	}
	return out
}

func testedAlerts(t *testing.T, path string) map[string]bool {
	t.Helper()
	var f struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	read(t, path, &f)
	out := map[string]bool{}
	for _, g := range f.Tests {
		for _, a := range g.AlertRuleTest {
			out[a.Alertname] = true
		}
	}
	return out
}

func read(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
