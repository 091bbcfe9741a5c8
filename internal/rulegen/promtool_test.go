package rulegen

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/internal/thresholds"
)

// writeFiles writes generated files under dir and returns the rule and test
// file paths.
func writeFiles(t *testing.T, dir string, files map[string][]byte) (rules, tests []string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(name, "tests/") {
			tests = append(tests, p)
		} else {
			rules = append(rules, p)
		}
	}
	sort.Strings(rules)
	sort.Strings(tests)
	return rules, tests
}

func promtool(t *testing.T, args ...string) {
	t.Helper()
	bin := testenv.Tool(t, "PROMTOOL", "promtool")
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args[:2], " "), err, out)
	}
}

// TestPromtool checks and unit-tests the rules generated from the default
// thresholds and from a variant with every level enabled and odd values, so
// the generated tests stay right when thresholds change.
func TestPromtool(t *testing.T) {
	variant := thresholds.Default()
	variant.Host.CPU.CriticalPercent = thresholds.Float(92.5)
	variant.Host.Memory.WarningPercent = thresholds.Float(80)
	variant.Application.LatencyP95.CriticalSeconds = thresholds.Float(7.25)
	variant.Application.ErrorRate.For = variant.Application.Down.For
	variant.Postgres.Deadlocks.CriticalCount = thresholds.Float(3)
	variant.Postgres.CacheHitRatio.CriticalPercent = thresholds.Float(0.5)
	variant.Probes.Certificate.CriticalDays = thresholds.Float(0)
	variant.SQLChecks.Mismatch.WarningRows = thresholds.Float(0)
	variant.SQLChecks.Mismatch.CriticalRows = thresholds.Float(100)
	variant.SQLChecks.Mismatch.For = variant.Probes.Failure.For
	variant.Jobs.Application = "shop-.+"
	variant.Jobs.Exporter = ".+"
	for name, th := range map[string]*thresholds.Thresholds{"default": thresholds.Default(), "variant": variant} {
		t.Run(name, func(t *testing.T) {
			files, err := Generate(th)
			if err != nil {
				t.Fatal(err)
			}
			rules, tests := writeFiles(t, t.TempDir(), files)
			promtool(t, append([]string{"check", "rules"}, rules...)...)
			promtool(t, append([]string{"test", "rules"}, tests...)...)
		})
	}
}
