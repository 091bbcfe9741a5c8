package thresholds

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default() does not validate: %v", err)
	}
}

func TestWriteYAMLRoundTrips(t *testing.T) {
	changed := Default()
	changed.Host.CPU.CriticalPercent = Float(97.5)
	changed.Host.Memory.WarningPercent = nil
	changed.Application.LatencyP95.WarningSeconds = Float(0.25)
	changed.Backups.Age.CriticalAge = nil
	changed.Services.Down.Severity = Info
	for name, in := range map[string]*Thresholds{"default": Default(), "changed": changed} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := in.WriteYAML(&buf); err != nil {
				t.Fatal(err)
			}
			out, err := Parse(buf.Bytes())
			if err != nil {
				t.Fatalf("Parse(WriteYAML()): %v\n%s", err, buf.String())
			}
			if !reflect.DeepEqual(in, out) {
				t.Errorf("round trip changed the value:\nin  %+v\nout %+v", in, out)
			}
			var again bytes.Buffer
			if err := out.WriteYAML(&again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("WriteYAML is not deterministic")
			}
		})
	}
}

func TestWriteYAMLKeepsComments(t *testing.T) {
	var buf bytes.Buffer
	if err := Default().WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# HostCPUUsageHigh: CPU busy, percent of all CPUs (0-100).\n  cpu:\n",
		`emergency -> severity="critical", priority="P0"`,
		"    warning_percent: 85\n",
		"    critical_percent: null\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("written file lacks %q", want)
		}
	}
}

func TestParseOverlaysDefaults(t *testing.T) {
	got, err := Parse([]byte("host:\n  cpu:\n    warning_percent: 80\n    critical_percent: 95\n  memory:\n    critical_percent: null\n"))
	if err != nil {
		t.Fatal(err)
	}
	if *got.Host.CPU.WarningPercent != 80 || *got.Host.CPU.CriticalPercent != 95 {
		t.Errorf("cpu levels = %v/%v, want 80/95", *got.Host.CPU.WarningPercent, *got.Host.CPU.CriticalPercent)
	}
	if got.Host.CPU.For != model.Duration(5*time.Minute) {
		t.Errorf("cpu.for = %s, want the default 5m", got.Host.CPU.For)
	}
	if got.Host.Memory.CriticalPercent != nil {
		t.Errorf("memory.critical_percent: null should disable the level, got %v", *got.Host.Memory.CriticalPercent)
	}
	if len(got.Host.Memory.Levels()) != 0 {
		t.Errorf("memory levels = %v, want none", got.Host.Memory.Levels())
	}
}

func TestParseEmptyIsDefault(t *testing.T) {
	got, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Error("an empty file should give the defaults")
	}
}

// TestParseErrors loads every testdata/invalid-*.yml and compares the
// whole message, line and path included.
func TestParseErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		{"invalid-unknown-top-key.yml", "line 1: hosts: unknown field (did you mean host?)"},
		{"invalid-unknown-nested-key.yml", "line 3: host.cpu.warning: unknown field"},
		{"invalid-repeated-key.yml", "line 3: host.cpu: is defined twice (first at line 2)"},
		{"invalid-section-not-a-mapping.yml", "line 1: host: must be a mapping of keys to values, not a single value"},
		{"invalid-bad-duration.yml", "line 3: host.cpu.for: \"5 minutes\" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w"},
		{"invalid-number-expected.yml", "line 3: host.cpu.warning_percent: \"high\" is not a number"},
		{"invalid-percent-above-100.yml", "line 3: host.disk.warning_percent: 120 is outside 0..100"},
		{"invalid-not-a-number.yml", "line 3: host.cpu.warning_percent: NaN is outside 0..100"},
		{"invalid-infinite-seconds.yml", "line 3: probes.slow.warning_seconds: +Inf must be a finite number >= 0"},
		{"invalid-negative-percent.yml", "line 3: postgres.cache_hit_ratio.critical_percent: -1 is outside 0..100"},
		{"invalid-warning-not-below-critical.yml", "line 2: host.cpu: warning_percent (90) must be below critical_percent (90): higher is worse"},
		{"invalid-lower-is-worse-order.yml", "line 2: postgres.cache_hit_ratio: warning_percent (80) must be above critical_percent (90): lower is worse"},
		{"invalid-days-order.yml", "line 2: probes.certificate: warning_days (3) must be above critical_days (14): lower is worse"},
		{"invalid-seconds-order.yml", "line 2: application.latency_p95: warning_seconds (5) must be below critical_seconds (3): higher is worse"},
		{"invalid-age-order.yml", "line 2: backups.age: warning_age (2d) must be below critical_age (1d): higher is worse"},
		{"invalid-yellow-not-below-red.yml", "line 3: host.cpu.dashboard_yellow_percent: 85 must be below the first alert level (85)"},
		{"invalid-unknown-severity.yml", "line 3: application.down.severity: unknown severity \"page\" (want emergency, critical, warning or info)"},
		{"invalid-short-window.yml", "line 3: redis.rejected_connections.window: 30s is shorter than 1m; counters need a window of several scrapes"},
		{"invalid-bad-regexp.yml", "line 2: jobs.host: invalid regular expression \"node(\": error parsing regexp: missing closing ): `^(?:node()$`"},
		{"invalid-empty-job.yml", "line 2: jobs.redis: must not be empty"},
		{"invalid-bad-label.yml", "line 2: application.status_label: \"status-code\" is not a valid Prometheus label name"},
		{"invalid-runbook-without-placeholder.yml", "line 1: runbook_url: \"https://example.com/runbooks\" must contain %s exactly once (it is replaced by the alert name) and no other %"},
		{"invalid-runbook-not-absolute.yml", "line 1: runbook_url: \"/runbooks/%s\" is not an absolute http(s) URL"},
		{"invalid-yaml-syntax.yml", "line 1: invalid YAML: did not find expected node content"},
		{"invalid-repeated-section.yml", "line 3: host: is defined twice (first at line 1)"},
		{"invalid-repeated-leaf.yml", "line 4: host.cpu.warning_percent: is defined twice (first at line 3)"},
		{"invalid-second-document.yml", "line 3: a second YAML document starts here: a config file holds exactly one"},
	}
	listed := map[string]bool{}
	for _, tc := range tests {
		listed[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			_, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded, want error %q", tc.want)
			}
			if want := path + ": " + tc.want; err.Error() != want {
				t.Errorf("error =\n  %s\nwant\n  %s", err, want)
			}
		})
	}
	files, err := filepath.Glob("testdata/invalid-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no expected error in the table", f)
		}
	}
}

func TestParseRefusesHugeValues(t *testing.T) {
	_, err := Parse([]byte("jobs:\n  host: " + strings.Repeat("n", 1<<20) + "\n"))
	if want := "line 2: jobs.host: the value is 1048576 bytes long, more than the 65536 allowed"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	th := Default()
	th.Host.CPU.WarningPercent = Float(101)
	th.Redis.Memory.CriticalPercent = Float(50)
	err := th.Validate()
	if err == nil {
		t.Fatal("Validate accepted two errors")
	}
	for _, want := range []string{"host.cpu.warning_percent: 101 is outside 0..100", "redis.memory: warning_percent (80) must be below critical_percent (50)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestSeverityMapping(t *testing.T) {
	for _, tc := range []struct {
		s               Severity
		label, priority string
	}{
		{Emergency, "critical", "P0"},
		{Critical, "critical", "P1"},
		{Warning, "warning", "P2"},
		{Info, "info", "P3"},
	} {
		if got := tc.s.Label(); got != tc.label {
			t.Errorf("%s.Label() = %s, want %s", tc.s, got, tc.label)
		}
		if got := tc.s.Priority(); got != tc.priority {
			t.Errorf("%s.Priority() = %s, want %s", tc.s, got, tc.priority)
		}
	}
}

func TestAgeLevelsInSeconds(t *testing.T) {
	a := AgeAbove{WarningAge: Age(model.Duration(26 * time.Hour))}
	want := []Level{{Severity: Warning, Value: 93600}}
	if got := a.Levels(); !reflect.DeepEqual(got, want) {
		t.Errorf("Levels() = %v, want %v", got, want)
	}
}
