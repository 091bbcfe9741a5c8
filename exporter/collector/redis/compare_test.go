package redis

import (
	"context"
	"fmt"
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
// commands other than INFO (CONFIG GET, SLOWLOG, LATENCY, key checks), which
// golive does not run so that one scrape is one round trip.
var onlyTheirs = []string{
	"redis_exporter_", "redis_target_scrape_request_errors_total", "redis_config_",
	"redis_slowlog_", "redis_last_slow_execution_duration_seconds", "redis_latency_spike_",
	"redis_last_key_groups_scrape_duration_milliseconds", "redis_commands_latencies_usec",
}

func TestMatchesRedisExporter(t *testing.T) {
	bin := testenv.Tool(t, "REDIS_EXPORTER", "prometheus-redis-exporter")
	addr := testenv.RedisAddr(t)
	ctx := testenv.Context(t, 60*time.Second)

	theirs := scrapeRedisExporter(t, ctx, bin, addr)
	c := newCollector(t, Config{Name: "cmp", Address: addr, Timeout: 5 * time.Second, Databases: 16}, WithoutServerLabel())
	reg := prometheus.NewRegistry()
	var updateErr error
	reg.MustRegister(updateOnce{c: c, ctx: ctx, err: &updateErr})
	mfs, err := reg.Gather()
	if err != nil || updateErr != nil {
		t.Fatalf("gather: %v, update: %v", err, updateErr)
	}
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
		"redis_instance_info", "redis_rdb_last_save_timestamp_seconds", "redis_db_keys", "redis_commands_total"} {
		if !slices.Contains(shared, name) {
			t.Errorf("%s is not emitted by both", name)
		}
	}

	// Values that do not move between the two scrapes must be equal.
	for _, name := range []string{"redis_up", "redis_memory_max_bytes", "redis_process_id", "redis_rdb_last_save_timestamp_seconds",
		"redis_connected_slaves", "redis_replication_backlog_bytes", "redis_aof_enabled", "redis_cluster_enabled", "redis_rdb_last_bgsave_status"} {
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

func scrapeRedisExporter(t *testing.T, ctx context.Context, bin, redisAddr string) map[string]*dto.MetricFamily {
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
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %s", url, resp.Status)
			}
			parser := expfmt.NewTextParser(model.UTF8Validation)
			mfs, err := parser.TextToMetricFamilies(resp.Body)
			if err != nil {
				t.Fatalf("parse redis_exporter output: %v", err)
			}
			return mfs
		}
		select {
		case <-ctx.Done():
			t.Fatalf("redis_exporter did not answer on %s: %v", url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
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
