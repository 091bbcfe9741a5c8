package postgres

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
)

// TestMatchesPostgresExporter scrapes the same server with Debian's
// postgres_exporter, then golive, then postgres_exporter again, and compares
// every metric both report: type, label names (without golive's server
// label) and values, which must lie between postgres_exporter's two (CI runs
// other packages against this server at the same time).
//
// Known differences, all where newer postgres_exporter releases changed too
// and golive follows the newer behaviour: the shared-objects row of
// pg_stat_database (datname "") is skipped, and a never-reset stats_reset is
// 0 rather than NaN. And lib/pq sets extra_float_digits=2 for its own
// session, which postgres_exporter then reports as the server's setting.
func TestMatchesPostgresExporter(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	tool := testenv.Tool(t, "POSTGRES_EXPORTER", "prometheus-postgres-exporter")

	fetchTheirs := startPostgresExporter(t, tool, dsn)
	theirs := fetchTheirs()
	c := newTestCollector(t, Config{Name: "cmp", DSN: secret.Secret(dsn)})
	ours, err := scrapeOnce(testenv.Context(t, 10*time.Second), t, c.Update)
	if err != nil {
		t.Fatal(err)
	}
	theirsAfter := fetchTheirs()

	var common []string
	for name := range ours {
		if _, ok := theirs[name]; ok {
			common = append(common, name)
		}
	}
	sort.Strings(common)
	for _, must := range []string{
		"pg_up", "pg_static", "pg_database_size_bytes", "pg_settings_max_connections",
		"pg_settings_shared_buffers_bytes", "pg_stat_activity_count", "pg_stat_activity_max_tx_duration",
		"pg_stat_database_xact_commit", "pg_stat_database_blks_hit", "pg_stat_database_deadlocks",
		"pg_locks_count", "pg_stat_database_conflicts_confl_lock", "pg_stat_database_conflicts_confl_snapshot",
		"pg_stat_bgwriter_checkpoints_timed_total", "pg_stat_bgwriter_buffers_alloc_total",
		"pg_stat_bgwriter_buffers_backend_total", "pg_stat_bgwriter_stats_reset_total",
		"pg_stat_archiver_archived_count", "pg_stat_archiver_failed_count",
	} {
		if _, ok := theirs[must]; !ok {
			t.Errorf("postgres_exporter did not report %s; is it the expected version?", must)
		}
		if _, ok := ours[must]; !ok {
			t.Errorf("golive does not report %s", must)
		}
	}
	for name := range theirs {
		if ours[name] != nil {
			continue
		}
		if _, ok := onlyPostgresExporter[name]; ok {
			continue
		}
		if !slices.ContainsFunc(onlyPostgresExporterPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			t.Errorf("postgres_exporter reports %s, golive does not", name)
		}
	}

	compared := 0
	for _, name := range common {
		o, th := ours[name], theirs[name]
		if o.GetType() != th.GetType() {
			t.Errorf("%s: type %v, postgres_exporter %v", name, o.GetType(), th.GetType())
		}
		before, after := seriesValues(th), seriesValues(theirsAfter[name])
		for _, m := range o.GetMetric() {
			key := seriesKey(m)
			b, ok := before[key]
			if !ok {
				continue // e.g. a database created between the two scrapes
			}
			a, ok := after[key]
			if !ok {
				a = b
			}
			compared++
			if msg := compareValues(name, sampleValue(o.GetType(), m), b, a); msg != "" {
				t.Errorf("%s{%s}: %s", name, key, msg)
			}
		}
		if len(o.GetMetric()) > 0 && len(th.GetMetric()) > 0 {
			if a, b := labelSet(o.GetMetric()[0]), labelSet(th.GetMetric()[0]); a != b {
				t.Errorf("%s: labels %s, postgres_exporter %s", name, a, b)
			}
		}
	}
	t.Logf("compared %d series in %d families", compared, len(common))
	if compared < 200 {
		t.Errorf("only %d series compared; the comparison is not covering the metrics", compared)
	}
}

// onlyPostgresExporter lists what Debian's postgres_exporter 0.11 reports and
// golive does not, each with the reason; every other family it reports
// must be golive's too, and is compared above.
var onlyPostgresExporter = map[string]string{
	"pg_stat_database_active_time":              "0.11's generic pg_stat_database query, in milliseconds; golive has pg_stat_database_active_time_seconds_total as 0.13+ does",
	"pg_stat_database_checksum_failures":        "0.11's generic pg_stat_database query; 0.13+'s fixed column list dropped it",
	"pg_stat_database_checksum_last_failure":    "0.11's generic pg_stat_database query; dropped in 0.13+",
	"pg_stat_database_idle_in_transaction_time": "0.11's generic pg_stat_database query; dropped in 0.13+",
	"pg_stat_database_session_time":             "0.11's generic pg_stat_database query; dropped in 0.13+",
	"pg_stat_database_sessions":                 "0.11's generic pg_stat_database query; dropped in 0.13+",
	"pg_stat_database_sessions_abandoned":       "0.11's generic pg_stat_database query; dropped in 0.13+",
	"pg_stat_database_sessions_fatal":           "0.11's generic pg_stat_database query; dropped in 0.13+",
	"pg_stat_database_sessions_killed":          "0.11's generic pg_stat_database query; dropped in 0.13+",
	"pg_stat_archiver_last_archive_age":         "NaN in 0.11 until a segment is archived; golive, like current upstream, omits it until then",
	"postgres_exporter_build_info":              "the exporter's own build; golive_build_info is golive's",
}

// onlyPostgresExporterPrefixes are its self metrics: golive reports
// golive_exporter_collector_{success,duration_seconds} instead (README:
// pg_exporter_last_scrape_error), and Go runtime and process metrics of
// its own process.
var onlyPostgresExporterPrefixes = []string{"pg_exporter_", "pg_scrape_collector_", "go_", "process_", "promhttp_"}

// seriesValues maps a family's series (by seriesKey) to their values.
func seriesValues(mf *dto.MetricFamily) map[string]float64 {
	values := map[string]float64{}
	for _, m := range mf.GetMetric() {
		values[seriesKey(m)] = sampleValue(mf.GetType(), m)
	}
	return values
}

// compareValues checks ours against postgres_exporter's values before and
// after it. Beyond that range it allows for what the exporters themselves
// change (their own connections) and for statistics PostgreSQL flushes late.
// Settings and versions must match exactly.
func compareValues(name string, ours, before, after float64) string {
	theirs := before
	switch {
	case math.IsNaN(theirs) && name == "pg_stat_database_stats_reset" && ours == 0,
		name == "pg_settings_extra_float_digits":
		return ""
	case math.IsNaN(ours) != math.IsNaN(theirs):
		return fmt.Sprintf("golive %v, postgres_exporter %v", ours, theirs)
	case math.IsNaN(ours):
		return ""
	}
	lo, hi := before, before
	if !math.IsNaN(after) {
		lo, hi = math.Min(before, after), math.Max(before, after)
	}
	tolerance := 0.0
	switch {
	case strings.HasPrefix(name, "pg_stat_activity_"), name == "pg_stat_database_numbackends":
		tolerance = 3 // the two exporters' own connections
	case name == "pg_locks_count":
		tolerance = 20 // other tests' transactions come and go
	case strings.HasPrefix(name, "pg_stat_bgwriter_buffers_"):
		tolerance = math.Max(200, 0.2*math.Abs(theirs))
	case strings.HasPrefix(name, "pg_stat_database_"):
		tolerance = math.Max(200, 0.2*math.Abs(theirs))
	case name == "pg_database_size_bytes":
		tolerance = 0.05 * theirs
	}
	if ours < lo-tolerance || ours > hi+tolerance {
		return fmt.Sprintf("golive %v, postgres_exporter %v before and %v after", ours, before, after)
	}
	return ""
}

// startPostgresExporter runs postgres_exporter for the test and returns a
// func that scrapes it, waiting for it to listen.
func startPostgresExporter(t *testing.T, tool, dsn string) func() map[string]*dto.MetricFamily {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", closedPort(t))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, tool, "--web.listen-address="+addr)
	cmd.Env = append(os.Environ(), "DATA_SOURCE_NAME="+dsn)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", tool, err)
	}
	t.Cleanup(func() {
		cancel() // kills the exporter
		_ = cmd.Wait()
	})

	client := &http.Client{Timeout: 10 * time.Second}
	return func() map[string]*dto.MetricFamily {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			families, err := fetchMetrics(client, "http://"+addr+"/metrics")
			if err == nil {
				return families
			}
			if time.Now().After(deadline) {
				t.Fatalf("postgres_exporter did not answer: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func fetchMetrics(client *http.Client, url string) (map[string]*dto.MetricFamily, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// seriesKey identifies a series by its labels, without "server" (golive's
// configured name, postgres_exporter's host:port).
func seriesKey(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		if l.GetName() != "server" {
			parts = append(parts, l.GetName()+"="+l.GetValue())
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func labelSet(m *dto.Metric) string {
	var names []string
	for _, l := range m.GetLabel() {
		if l.GetName() != "server" {
			names = append(names, l.GetName())
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func sampleValue(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}
