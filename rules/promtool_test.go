// Package rules holds the thresholds file, the rule files generated from it
// and their promtool unit tests. This test runs promtool on the committed
// files, as Prometheus will load them.
package rules

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/golive-ops/golive/internal/testenv"
)

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s (%v): run golive generate", pattern, err)
	}
	return files
}

func TestPromtoolCheckRules(t *testing.T) {
	bin := testenv.Tool(t, "PROMTOOL", "promtool")
	out, err := exec.Command(bin, append([]string{"check", "rules"}, glob(t, "*.rules.yml")...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	bin := testenv.Tool(t, "PROMTOOL", "promtool")
	out, err := exec.Command(bin, append([]string{"test", "rules"}, glob(t, "tests/*.test.yml")...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestEveryAlertIsTested guards the generator: each alert in a rule file
// appears in its unit tests.
func TestEveryAlertIsTested(t *testing.T) {
	for _, rf := range glob(t, "*.rules.yml") {
		alerts := alertNames(t, rf)
		if len(alerts) == 0 {
			continue
		}
		tested := testedAlerts(t, filepath.Join("tests", filepath.Base(rf[:len(rf)-len(".rules.yml")])+".test.yml"))
		for a := range alerts {
			if !tested[a] {
				t.Errorf("%s: alert %s has no unit test", rf, a)
			}
		}
	}
}
