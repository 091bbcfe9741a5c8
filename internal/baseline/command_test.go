package baseline

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/thresholds"
)

func runCommand(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = Command(ctx, cli.Env{Args: args, Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func windowArgs(s *synth) []string {
	return []string{
		"--window", s.end.Sub(s.start).String(),
		"--end", strconv.FormatInt(s.end.Unix(), 10),
		"--step", "1m", "--rate.window", "1m",
	}
}

func testCommand(t *testing.T, s *synth, url string) {
	dir := t.TempDir()
	out, report, thr := filepath.Join(dir, "baseline.json"), filepath.Join(dir, "baseline.txt"), filepath.Join(dir, "thresholds.yml")
	args := append([]string{"--prometheus.url", url,
		"--out", out, "--report", report, "--thresholds.out", thr,
		"--selector.node", testSelectors.Node, "--selector.app", testSelectors.App,
		"--selector.postgres", testSelectors.Postgres, "--selector.redis", testSelectors.Redis,
		"--log.level", "warn",
	}, windowArgs(s)...)
	code, _, stderr := runCommand(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}

	var b Baseline
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("baseline JSON: %v", err)
	}
	exp := s.expected()
	cpu := refSummary(append(exp[QCPU][0], exp[QCPU][1]...))
	compareSummary(t, "JSON cpu", quantity(t, &b, QCPU).All, cpu)

	got, err := thresholds.Load(thr)
	if err != nil {
		t.Fatalf("written thresholds do not load: %v", err)
	}
	mem := refSummary(append(exp[QMemory][0], exp[QMemory][1]...))
	lat := refSummary(exp[QLatencyP95][0])
	errs := refSummary(exp[QErrorRate][0])
	g := DefaultGuards()
	for _, c := range []struct {
		name string
		got  *float64
		want float64
	}{
		{"host.cpu.warning_percent", got.Host.CPU.WarningPercent, roundPercent(math.Min(100, math.Max(g.CPUWarningFloor, cpu.Mean+2*cpu.Stdev)))},
		{"host.cpu.critical_percent", got.Host.CPU.CriticalPercent, roundPercent(math.Min(100, math.Max(g.CPUCriticalFloor, cpu.Mean+3*cpu.Stdev)))},
		{"host.memory.warning_percent", got.Host.Memory.WarningPercent, roundPercent(math.Max(g.MemoryWarningFloor, math.Min(85, mem.Mean+10)))},
		{"host.memory.critical_percent", got.Host.Memory.CriticalPercent, roundPercent(math.Max(g.MemoryCriticalFloor, math.Min(95, mem.Mean+20)))},
		{"application.latency_p95.warning_seconds", got.Application.LatencyP95.WarningSeconds, roundSeconds(lat.P95 * 1.5)},
		{"application.latency_p95.critical_seconds", got.Application.LatencyP95.CriticalSeconds, roundSeconds(lat.P95 * 2)},
		{"application.error_rate.warning_percent", got.Application.ErrorRate.WarningPercent, roundPercent(math.Max(5, 2*errs.Mean))},
		{"application.error_rate.critical_percent", got.Application.ErrorRate.CriticalPercent, roundPercent(math.Max(10, 3*errs.Mean))},
		// Not derived: must keep the defaults.
		{"postgres.connections.warning_percent", got.Postgres.Connections.WarningPercent, *thresholds.Default().Postgres.Connections.WarningPercent},
	} {
		if c.got == nil || *c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, ptrString(c.got), c.want)
		}
	}

	text, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Host CPU utilisation (percent)", `{instance="h1"}`, "Derived thresholds", "host.cpu.warning_percent", "Redis keyspace hit rate (percent)", `{instance="r1", job="redis"}`} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// Without selector flags the job regexes of the thresholds file apply: the
// defaults match jobs node, postgres and redis but not "app".
func testCommandDefaultSelectors(t *testing.T, s *synth, url string) {
	dir := t.TempDir()
	thr := filepath.Join(dir, "thresholds.yml")
	args := append([]string{"--prometheus.url", url, "--out", filepath.Join(dir, "b.json"), "--thresholds.out", thr, "--log.level", "error"}, windowArgs(s)...)
	code, stdout, stderr := runCommand(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "http_latency_p95: NOT DERIVED") || !strings.Contains(stdout, "no samples in the window") {
		t.Errorf("report does not explain the missing application data:\n%s", stdout)
	}
	if !strings.Contains(stdout, "application.latency_p95.warning_seconds") || !strings.Contains(stdout, "kept 3.000s") {
		t.Errorf("report does not say the latency threshold was kept:\n%s", stdout)
	}
	got, err := thresholds.Load(thr)
	if err != nil {
		t.Fatal(err)
	}
	def := thresholds.Default()
	if *got.Application.LatencyP95.WarningSeconds != *def.Application.LatencyP95.WarningSeconds || got.Application.LatencyP95.CriticalSeconds != nil {
		t.Errorf("latency thresholds changed without data: %v / %v", ptrString(got.Application.LatencyP95.WarningSeconds), ptrString(got.Application.LatencyP95.CriticalSeconds))
	}
	exp := s.expected()
	cpu := refSummary(append(exp[QCPU][0], exp[QCPU][1]...)) // h3 (job "other") excluded
	if want := roundPercent(math.Min(100, math.Max(70, cpu.Mean+2*cpu.Stdev))); *got.Host.CPU.WarningPercent != want {
		t.Errorf("cpu warning = %v, want %v", *got.Host.CPU.WarningPercent, want)
	}
}

func testCommandNoData(t *testing.T, s *synth, url string) {
	dir := t.TempDir()
	args := []string{"--prometheus.url", url, "--out", filepath.Join(dir, "b.json"), "--log.level", "error"}
	for _, f := range []string{"node", "app", "postgres", "redis"} {
		args = append(args, "--selector."+f, `job="nope"`)
	}
	code, _, stderr := runCommand(t, append(args, windowArgs(s)...)...)
	if code != exitError || !strings.Contains(stderr, "no samples for any quantity") {
		t.Fatalf("exit %d, stderr %q; want %d and a no-samples error", code, stderr, exitError)
	}
	if !strings.Contains(stderr, `node={job="nope"}`) || strings.Contains(stderr, "{Node:") {
		t.Errorf("the selectors are not named readably: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.json")); !os.IsNotExist(err) {
		t.Errorf("baseline written although there was no data (stat: %v)", err)
	}
}

// Data but too few samples everywhere: the baseline and the report say why,
// no thresholds file is written, and the exit status is 1. Progress is
// logged per quantity.
func testCommandNothingDerived(t *testing.T, s *synth, url string) {
	dir := t.TempDir()
	out, thr := filepath.Join(dir, "b.json"), filepath.Join(dir, "thresholds.yml")
	args := append([]string{"--prometheus.url", url, "--out", out, "--thresholds.out", thr, "--guard.min-samples", "100000",
		"--selector.node", testSelectors.Node, "--selector.app", testSelectors.App}, windowArgs(s)...)
	code, stdout, stderr := runCommand(t, args...)
	if code != exitError || !strings.Contains(stderr, "no threshold could be derived") {
		t.Fatalf("exit %d, stderr %q; want %d and nothing derived", code, stderr, exitError)
	}
	if !strings.Contains(stdout, "NOT DERIVED") || !strings.Contains(stdout, "need at least 100000") {
		t.Errorf("report does not say why:\n%s", stdout)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("baseline JSON not written: %v", err)
	}
	if _, err := os.Stat(thr); !os.IsNotExist(err) {
		t.Errorf("thresholds file written although nothing was derived (stat: %v)", err)
	}
	for _, want := range []string{`msg=sampled quantity="Host CPU utilisation" done=1 of=`, "source=command.go:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress log lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "reason=\"[") {
		t.Errorf("a Go slice in the log: %s", stderr)
	}
}

func TestCommandRejectsBadInput(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	dir := t.TempDir()
	badThresholds := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(badThresholds, []byte("host:\n  cpu:\n    warning_percnt: 80\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := []string{"--prometheus.url", "http://127.0.0.1:9090"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no url", nil, exitUsage, "required flag(s) '--prometheus.url' not provided"},
		{"url without scheme", []string{"--prometheus.url", "localhost:9090"}, exitUsage, "--prometheus.url"},
		{"unknown flag", append(url, "--windw", "1h"), exitUsage, "unknown long flag '--windw'"},
		{"bad window", append(url, "--window", "a week"), exitUsage, "--window"},
		{"zero window", append(url, "--window", "0s"), exitUsage, "--window must be positive"},
		{"step longer than window", append(url, "--window", "1h", "--step", "2h"), exitUsage, "longer than --window"},
		{"bad end", append(url, "--end", "yesterday"), exitUsage, "--end"},
		{"braces in selector", append(url, "--selector.node", `{job="node"}`), exitUsage, "node selector"},
		{"bad selector", append(url, "--selector.app", `job=app`), exitUsage, "app selector"},
		{"bad guards", append(url, "--guard.cpu-warning-floor", "90"), exitUsage, "--guard"},
		{"missing thresholds file", append(url, "--thresholds.in", filepath.Join(dir, "none.yml")), exitError, "--thresholds.in"},
		{"invalid thresholds file", append(url, "--thresholds.in", badThresholds), exitError, "warning_percnt"},
		{"both on stdout", append(url, "--out", "-"), exitUsage, "cannot both be"},
		{"stray argument", append(url, "extra"), exitUsage, "unexpected extra"},
		{"unreachable", []string{"--prometheus.url", dead, "--out", filepath.Join(dir, "b.json"), "--query.timeout", "5s"}, exitError, "unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCommand(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

func TestParseEnd(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{"", now},
		{"2024-04-30T10:00:00Z", time.Date(2024, 4, 30, 10, 0, 0, 0, time.UTC)},
		{"1714557600", time.Unix(1714557600, 0)},
		{"1714557600.5", time.Unix(1714557600, 5e8)},
	} {
		got, err := parseEnd(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseEnd(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func ptrString(p *float64) string {
	if p == nil {
		return "null"
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}
