package exporter

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/exporter/collector"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/prometheus/client_golang/prometheus"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt from the current output")

// goldenFamilies are the deterministic part of a scrape: no durations,
// timestamps of now, or process and runtime metrics.
var goldenFamilies = []string{
	"golive_test_value",
	"golive_test_info",
	"golive_exporter_collector_success",
	"golive_exporter_config_last_reload_successful",
	"golive_backup_newest_timestamp_seconds",
	"golive_backup_newest_size_bytes",
	"golive_backup_files",
}

// backupDir holds two dumps with fixed sizes and times, and a file the
// pattern does not match.
func backupDir(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		size int
		unix int64
	}{
		{"app-1.dump", 100, 1_700_000_000},
		{"app-2.dump", 250, 1_700_086_400},
		{"notes.txt", 7, 1_800_000_000},
	} {
		path := filepath.Join(dir, f.name)
		writeFile(t, path, strings.Repeat("x", f.size))
		mtime := time.Unix(f.unix, 0)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestGoldenExposition(t *testing.T) {
	infoDesc := prometheus.NewDesc("golive_test_info", "Labels of a test source.", []string{"kind", "name"}, prometheus.Labels{"server": "primary"})
	config := minimalConfig + fmt.Sprintf(`
backups:
  - name: app
    path: %q
    pattern: "*.dump"
`, backupDir(t))
	s := start(t, config,
		constant("alpha", 1.5),
		constant("beta", -2),
		fake{name: "failing", target: "db", update: func(ctx context.Context, ch chan<- prometheus.Metric) error {
			ch <- prometheus.MustNewConstMetric(infoDesc, prometheus.GaugeValue, 1, "replica", `quote"and\backslash`)
			return collector.WithReason(errors.New("password authentication failed"), collector.ReasonAuth)
		}},
	)
	code, body := s.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	got := filterFamilies(body, goldenFamilies)
	const path = "testdata/golden.txt"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./exporter/ -run TestGoldenExposition -update)", err)
	}
	if got != string(want) {
		t.Errorf("exposition differs from %s (rerun with -update if intended):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// filterFamilies keeps the HELP, TYPE and sample lines of the named families.
func filterFamilies(body string, names []string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(body, "\n") {
		name := line
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			name = rest
		} else if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name = rest
		}
		name, _, _ = strings.Cut(name, " ")
		name, _, _ = strings.Cut(name, "{")
		for _, n := range names {
			if name == n {
				b.WriteString(line)
			}
		}
	}
	return b.String()
}

// A full scrape of everything golive collects (host, services, the real
// PostgreSQL and Redis, an HTTP probe) passes `promtool check metrics`
// without parse errors, and golive's own metrics without lint problems.
func TestFullScrapePassesPromtool(t *testing.T) {
	promtool := testenv.Tool(t, "PROMTOOL", "promtool")
	dsn := testenv.PostgresDSN(t)
	redisAddr := testenv.RedisAddr(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(target.Close)
	config := fmt.Sprintf(`
host: {enabled: true}
services: {names: [postgres, redis-server, nginx], backend: process}
postgres:
  - name: primary
    dsn: %q
redis:
  - name: main
    address: %q
modules:
  http_2xx:
    prober: http
    timeout: 5s
probes:
  - module: http_2xx
    targets: [%q]
`, dsn, redisAddr, target.URL)
	s := start(t, config)
	code, body := s.get(t, "/metrics", scrapeTimeoutHeader, "10")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	for _, want := range []string{`pg_up{server="primary"} 1`, `redis_up{server="main"} 1`, "node_load1 ", "probe_success{"} {
		if !hasLine(body, want) {
			t.Errorf("full scrape lacks %s", want)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	// promtool exits 3 for lint problems alone; the peers' own names (pg_*
	// counters without _total) have some, ours must not.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) {
		t.Fatalf("promtool check metrics: %v\n%s", err, out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "golive_") {
			t.Errorf("promtool: %s", line)
		} else if line != "" {
			t.Logf("promtool (peer-compatible name, kept): %s", line)
		}
	}
}
