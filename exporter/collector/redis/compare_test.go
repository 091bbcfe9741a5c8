package redis

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Differences from Debian's redis_exporter 1.45 that follow newer upstream
// releases on purpose; everything else that both emit must agree on name,
// type and label names.
var knownDifferences = map[string]string{
	"redis_instance_info":                  "upstream added the master_replid label after 1.45",
	"redis_expired_time_cap_reached_total": "upstream made it a counter after 1.45 (it also sits in metricMapCounters)",
}

// Families only redis_exporter has: its own bookkeeping, and data from
// commands other than INFO (CONFIG GET *, SLOWLOG, LATENCY, key checks), which
// golive does not run so that one scrape is one round trip. (redis_config_
// maxclients and maxmemory come from INFO, or CONFIG GET where INFO lacks them.)
var onlyTheirs = []string{
	"redis_exporter_", "redis_target_scrape_request_errors_total", "redis_config_io_threads",
	"redis_slowlog_", "redis_last_slow_execution_duration_seconds", "redis_latency_spike_",
	"redis_last_key_groups_scrape_duration_milliseconds", "redis_commands_latencies_usec",
}

func TestMatchesRedisExporter(t *testing.T) {
	bin := testenv.Tool(t, "REDIS_EXPORTER", "prometheus-redis-exporter")
	addr := testenv.RedisAddr(t)
	ctx := testenv.Context(t, 60*time.Second)

	fetchTheirs := startRedisExporter(t, ctx, bin, addr)
	theirs := fetchTheirs()
	c := newCollector(t, Config{Name: "cmp", Address: addr, Timeout: 5 * time.Second, Databases: 16}, WithoutServerLabel())
	reg := prometheus.NewRegistry()
	var updateErr error
	reg.MustRegister(updateOnce{c: c, ctx: ctx, err: &updateErr})
	mfs, err := reg.Gather()
	if err != nil || updateErr != nil {
		t.Fatalf("gather: %v, update: %v", err, updateErr)
	}
	theirsAfter := fetchTheirs()
	ours := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		ours[mf.GetName()] = mf
	}

	var shared []string
	for name, their := range theirs {
		our, ok := ours[name]
		if !ok {
			if !slices.ContainsFunc(onlyTheirs, func(p string) bool { return strings.HasPrefix(name, p) }) {
				t.Errorf("redis_exporter has %s (%s) and golive does not", name, their.GetType())
			}
			continue
		}
		shared = append(shared, name)
		if _, known := knownDifferences[name]; known {
			continue
		}
		if our.GetType() != their.GetType() {
			t.Errorf("%s: type %s, redis_exporter %s", name, our.GetType(), their.GetType())
		}
		if o, th := labelNames(our), labelNames(their); !slices.Equal(o, th) {
			t.Errorf("%s: labels %v, redis_exporter %v", name, o, th)
		}
	}
	sort.Strings(shared)
	if len(shared) < 80 {
		t.Errorf("only %d metric families in common with redis_exporter", len(shared))
	}
	for _, name := range []string{"redis_up", "redis_connected_clients", "redis_memory_used_bytes", "redis_memory_max_bytes",
		"redis_commands_processed_total", "redis_keyspace_hits_total", "redis_keyspace_misses_total", "redis_evicted_keys_total",
		"redis_instance_info", "redis_rdb_last_save_timestamp_seconds", "redis_db_keys", "redis_commands_total",
		"redis_config_maxclients", "redis_config_maxmemory"} {
		if !slices.Contains(shared, name) {
			t.Errorf("%s is not emitted by both", name)
		}
	}

	compared := compareRedisValues(t, shared, ours, theirs, theirsAfter)
	t.Logf("compared %d series of %d families with redis_exporter's values", compared, len(shared))
	if compared < 100 {
		t.Errorf("only %d series compared", compared)
	}

	// Values that do not move between the two scrapes must be equal.
	for _, name := range []string{"redis_up", "redis_memory_max_bytes", "redis_process_id", "redis_rdb_last_save_timestamp_seconds",
		"redis_connected_slaves", "redis_replication_backlog_bytes", "redis_aof_enabled", "redis_cluster_enabled", "redis_rdb_last_bgsave_status",
		"redis_config_maxclients", "redis_config_maxmemory"} {
		o, th := singleValue(ours[name]), singleValue(theirs[name])
		if o != th {
			t.Errorf("%s = %v, redis_exporter says %v", name, o, th)
		}
	}
	ourInfo, theirInfo := labelMap(ours["redis_instance_info"]), labelMap(theirs["redis_instance_info"])
	for k, v := range theirInfo {
		if ourInfo[k] != v {
			t.Errorf("redis_instance_info{%s} = %q, redis_exporter says %q", k, ourInfo[k], v)
		}
	}
	t.Logf("%d metric families agree with redis_exporter 1.45", len(shared))
}

// startRedisExporter runs redis_exporter for the test and returns a func
// that scrapes it, waiting for it to listen.
func startRedisExporter(t *testing.T, ctx context.Context, bin, redisAddr string) func() map[string]*dto.MetricFamily {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, bin, "--web.listen-address="+listen, "--redis.addr=redis://"+redisAddr, "--redis-only-metrics")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := "http://" + listen + "/metrics"
	return func() map[string]*dto.MetricFamily {
		t.Helper()
		for {
			mfs, err := fetchFamilies(ctx, url)
			if err == nil {
				return mfs
			}
			select {
			case <-ctx.Done():
				t.Fatalf("redis_exporter did not answer on %s: %v", url, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

func fetchFamilies(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// compareRedisValues checks every series of every shared family: golive's
// value, read between redis_exporter's two scrapes, must lie between
// redis_exporter's two values, widened by what moves on a server other
// tests use at the same time. It returns how many series it compared.
func compareRedisValues(t *testing.T, shared []string, ours, before, after map[string]*dto.MetricFamily) int {
	t.Helper()
	compared := 0
	for _, name := range shared {
		b, a := seriesSamples(before[name]), seriesSamples(after[name])
		for key, o := range seriesSamples(ours[name]) {
			lo, ok := b[key]
			if !ok {
				continue // a command or error type first seen after redis_exporter's scrape
			}
			hi, ok := a[key]
			if !ok {
				hi = lo
			}
			if lo > hi {
				lo, hi = hi, lo
			}
			compared++
			typ := ours[name].GetType()
			if typ == dto.MetricType_SUMMARY {
				typ = dto.MetricType_COUNTER // its _count and _sum only grow
			}
			tol := redisTolerance(name, typ, hi)
			if o < lo-tol || o > hi+tol {
				t.Errorf("%s{%s} = %v, redis_exporter %v before and %v after", name, key, o, b[key], a[key])
			}
		}
	}
	return compared
}

// redisTolerance is how far a value may stray beyond redis_exporter's two
// readings. Counters only grow, so golive's reading lies between them; the
// allowance covers INFO's rounding (CPU seconds). Gauges move both ways:
// clients connect, memory is allocated and freed, uptime ticks (start_time
// is computed from it and the clock).
func redisTolerance(name string, typ dto.MetricType, v float64) float64 {
	switch {
	case typ == dto.MetricType_COUNTER:
		return 0.01 + 1e-6*math.Abs(v)
	case strings.Contains(name, "uptime"), strings.Contains(name, "start_time"), strings.Contains(name, "seconds_ago"),
		strings.Contains(name, "last_save"), strings.HasPrefix(name, "redis_rdb_last_") || strings.HasPrefix(name, "redis_aof_last_"):
		return 2
	default:
		return math.Max(5, 0.25*math.Abs(v))
	}
}

// seriesSamples maps each series (by its sorted labels) to its value; a
// summary gives its _count and _sum.
func seriesSamples(mf *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, m := range mf.GetMetric() {
		var pairs []string
		for _, lp := range m.GetLabel() {
			pairs = append(pairs, lp.GetName()+"="+lp.GetValue())
		}
		sort.Strings(pairs)
		key := strings.Join(pairs, ",")
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			out[key] = m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			out[key] = m.GetGauge().GetValue()
		case dto.MetricType_SUMMARY:
			out[key+",_count"] = float64(m.GetSummary().GetSampleCount())
			out[key+",_sum"] = m.GetSummary().GetSampleSum()
		default:
			out[key] = m.GetUntyped().GetValue()
		}
	}
	return out
}

func labelNames(mf *dto.MetricFamily) []string {
	set := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, lp := range m.GetLabel() {
			set[lp.GetName()] = true
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func labelMap(mf *dto.MetricFamily) map[string]string {
	m := map[string]string{}
	if mf == nil || len(mf.GetMetric()) == 0 {
		return m
	}
	for _, lp := range mf.GetMetric()[0].GetLabel() {
		m[lp.GetName()] = lp.GetValue()
	}
	return m
}

func singleValue(mf *dto.MetricFamily) string {
	if mf == nil || len(mf.GetMetric()) != 1 {
		return "<missing>"
	}
	m := mf.GetMetric()[0]
	switch {
	case m.Gauge != nil:
		return fmt.Sprint(m.GetGauge().GetValue())
	case m.Counter != nil:
		return fmt.Sprint(m.GetCounter().GetValue())
	default:
		return fmt.Sprint(m.GetUntyped().GetValue())
	}
}
