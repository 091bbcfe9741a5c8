package thresholds

import (
	"bytes"
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

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown top key", "hosts: {}\n", "hosts: line 1: unknown key (known keys here: application, backups, exporter, host, jobs, postgres, probes, redis, runbook_url, services, sql_checks)"},
		{"unknown nested key", "host:\n  cpu:\n    warning: 80\n", "host.cpu.warning: line 3: unknown key (known keys here: critical_percent, dashboard_yellow_percent, for, warning_percent)"},
		{"repeated key", "host:\n  cpu: {for: 1m}\n  cpu: {for: 2m}\n", "host.cpu: line 3: key repeated"},
		{"section not a mapping", "host: 3\n", "host: line 1: want a mapping of keys"},
		{"bad duration", "host:\n  cpu:\n    for: 5 minutes\n", `host.cpu.for: line 3: unknown unit " minutes" in duration "5 minutes"`},
		{"number expected", "host:\n  cpu:\n    warning_percent: high\n", "host.cpu.warning_percent: line 3: cannot unmarshal !!str `high` into float64"},
		{"percent above 100", "host:\n  disk:\n    warning_percent: 120\n", "host.disk.warning_percent: 120 is outside 0..100"},
		{"not a number", "host:\n  cpu:\n    warning_percent: .nan\n", "host.cpu.warning_percent: NaN is outside 0..100"},
		{"infinite seconds", "probes:\n  slow:\n    warning_seconds: .inf\n", "probes.slow.warning_seconds: +Inf must be a finite number >= 0"},
		{"negative percent", "postgres:\n  cache_hit_ratio:\n    critical_percent: -1\n", "postgres.cache_hit_ratio.critical_percent: -1 is outside 0..100"},
		{"warning not below critical", "host:\n  cpu:\n    warning_percent: 90\n    critical_percent: 90\n", "host.cpu: warning_percent (90) must be below critical_percent (90): higher is worse"},
		{"lower is worse order", "postgres:\n  cache_hit_ratio:\n    warning_percent: 80\n    critical_percent: 90\n", "postgres.cache_hit_ratio: warning_percent (80) must be above critical_percent (90): lower is worse"},
		{"days order", "probes:\n  certificate:\n    warning_days: 3\n    critical_days: 14\n", "probes.certificate: warning_days (3) must be above critical_days (14): lower is worse"},
		{"seconds order", "application:\n  latency_p95:\n    warning_seconds: 5\n    critical_seconds: 3\n", "application.latency_p95: warning_seconds (5) must be below critical_seconds (3): higher is worse"},
		{"age order", "backups:\n  age:\n    warning_age: 2d\n    critical_age: 1d\n", "backups.age: warning_age (2d) must be below critical_age (1d): higher is worse"},
		{"yellow not below red", "host:\n  cpu:\n    dashboard_yellow_percent: 85\n", "host.cpu.dashboard_yellow_percent: 85 must be below the first alert level (85)"},
		{"unknown severity", "application:\n  down:\n    severity: page\n", `application.down.severity: line 3: unknown severity "page" (want emergency, critical, warning or info)`},
		{"short window", "redis:\n  rejected_connections:\n    window: 30s\n", "redis.rejected_connections.window: 30s is shorter than 1m; counters need a window of several scrapes"},
		{"bad regexp", "jobs:\n  host: \"node(\"\n", `jobs.host: invalid regular expression "node(": error parsing regexp: missing closing ): ` + "`^(?:node()$`"},
		{"empty job", "jobs:\n  redis: \"\"\n", "jobs.redis: must not be empty"},
		{"bad label", "application:\n  status_label: status-code\n", `application.status_label: "status-code" is not a valid Prometheus label name`},
		{"runbook without %s", "runbook_url: https://example.com/runbooks\n", `runbook_url: "https://example.com/runbooks" must contain %s exactly once (it is replaced by the alert name) and no other %`},
		{"runbook not absolute", "runbook_url: /runbooks/%s\n", `runbook_url: "/runbooks/%s" is not an absolute http(s) URL`},
		{"bad YAML", "host: [\n", "parse YAML: yaml: line 1: did not find expected node content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error =\n  %s\nwant\n  %s", err, tc.want)
			}
		})
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
