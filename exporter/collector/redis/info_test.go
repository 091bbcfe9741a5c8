package redis

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

var testNow = time.Unix(1_800_000_000, 0)

func TestParseInfo(t *testing.T) {
	const primary7Info = `redis_instance_info{master_replid="15e3452efbdb1203c2fedeffaac21432e1c5f5c0",maxmemory_policy="noeviction",os="Linux 6.18.44-fc-v657 x86_64",process_id="2219",redis_build_id="ae4d7c971a948f0",redis_mode="standalone",redis_version="7.0.15",role="master",run_id="7034875b7a36a2c4bc13e1501988b4f9cd8e8b4d",server="main",tcp_port="6379"}`
	tests := []struct {
		name      string
		info      string // file in testdata, or inline text when it has a newline
		databases int
		want      map[string]float64
		absent    []string // metric names (any labels) that must not appear
		types     map[string]dto.MetricType
	}{
		{
			name:      "redis 7 primary",
			info:      "redis7-primary.info",
			databases: 16,
			want: map[string]float64{
				`redis_connected_clients{server="main"}`:                                                                       1,
				`redis_max_clients{server="main"}`:                                                                             10000,
				`redis_memory_used_bytes{server="main"}`:                                                                       1163584,
				`redis_memory_max_bytes{server="main"}`:                                                                        104857600,
				`redis_commands_processed_total{server="main"}`:                                                                4242,
				`redis_keyspace_hits_total{server="main"}`:                                                                     40,
				`redis_keyspace_misses_total{server="main"}`:                                                                   2,
				`redis_uptime_in_seconds{server="main"}`:                                                                       1000,
				`redis_start_time_seconds{server="main"}`:                                                                      1_800_000_000 - 1000,
				`redis_rdb_last_save_timestamp_seconds{server="main"}`:                                                         1700000000,
				`redis_rdb_last_bgsave_status{server="main"}`:                                                                  1,
				`redis_aof_last_write_status{server="main"}`:                                                                   1,
				`redis_latest_fork_seconds{server="main"}`:                                                                     0.0015,
				`redis_cluster_enabled{server="main"}`:                                                                         0,
				`redis_connected_slaves{server="main"}`:                                                                        1,
				`redis_db_keys{db="db0",server="main"}`:                                                                        5,
				`redis_db_keys_expiring{db="db0",server="main"}`:                                                               2,
				`redis_db_avg_ttl_seconds{db="db0",server="main"}`:                                                             123.456,
				`redis_db_keys{db="db14",server="main"}`:                                                                       2,
				`redis_db_keys{db="db1",server="main"}`:                                                                        0,
				`redis_db_keys_expiring{db="db15",server="main"}`:                                                              0,
				`redis_commands_total{cmd="config|get",server="main"}`:                                                         1,
				`redis_commands_total{cmd="set",server="main"}`:                                                                2,
				`redis_commands_rejected_calls_total{cmd="get",server="main"}`:                                                 0,
				`redis_commands_failed_calls_total{cmd="get",server="main"}`:                                                   0,
				`redis_errors_total{err="ERR",server="main"}`:                                                                  3,
				`redis_errors_total{err="WRONGTYPE",server="main"}`:                                                            1,
				`redis_connected_slave_offset_bytes{server="main",slave_ip="10.0.0.2",slave_port="6380",slave_state="online"}`: 12345,
				`redis_connected_slave_lag_seconds{server="main",slave_ip="10.0.0.2",slave_port="6380",slave_state="online"}`:  1,
				`redis_latency_percentiles_usec_count{cmd="ping",server="main"}`:                                               3,
				`redis_latency_percentiles_usec_sum{cmd="ping",server="main"}`:                                                 7,
				`redis_latency_percentiles_usec{cmd="ping",quantile="99",server="main"}`:                                       4.015,
				`redis_latency_percentiles_usec{cmd="info",quantile="99.9",server="main"}`:                                     225.279,
				primary7Info: 1,
			},
			absent: []string{"redis_slave_info", "redis_master_link_up", "redis_slave_repl_offset", "redis_up"},
			types: map[string]dto.MetricType{
				"redis_commands_processed_total":        dto.MetricType_COUNTER,
				"redis_expired_time_cap_reached_total":  dto.MetricType_COUNTER,
				"redis_memory_used_bytes":               dto.MetricType_GAUGE,
				"redis_commands_total":                  dto.MetricType_COUNTER,
				"redis_commands_duration_seconds_total": dto.MetricType_COUNTER,
				"redis_latency_percentiles_usec":        dto.MetricType_SUMMARY,
				"redis_db_keys":                         dto.MetricType_GAUGE,
				"redis_instance_info":                   dto.MetricType_GAUGE,
				"redis_errors_total":                    dto.MetricType_COUNTER,
			},
		},
		{
			name:      "redis 7 replica with a broken link",
			info:      "redis7-replica.info",
			databases: 16,
			want: map[string]float64{
				`redis_master_link_up{master_host="10.0.0.1",master_port="6379",server="main"}`:             0,
				`redis_master_last_io_seconds_ago{master_host="10.0.0.1",master_port="6379",server="main"}`: -1,
				`redis_master_sync_in_progress{master_host="10.0.0.1",master_port="6379",server="main"}`:    0,
				`redis_slave_repl_offset{master_host="10.0.0.1",master_port="6379",server="main"}`:          4999,
				`redis_slave_info{master_host="10.0.0.1",master_port="6379",read_only="1",server="main"}`:   1,
				`redis_slave_priority{server="main"}`:                                                       100,
				`redis_master_repl_offset{server="main"}`:                                                   4999,
				`redis_rdb_last_bgsave_status{server="main"}`:                                               0,
				`redis_db_keys{db="db14",server="main"}`:                                                    0,
			},
			absent: []string{"redis_connected_slave_offset_bytes"},
		},
		{
			name:      "redis 6.0 primary: old commandstats, a replica without lag",
			info:      "redis6-primary.info",
			databases: 4,
			want: map[string]float64{
				`redis_commands_total{cmd="get",server="main"}`:                  21,
				`redis_commands_duration_seconds_total{cmd="set",server="main"}`: 0.003139,
				`redis_db_keys{db="db3",server="main"}`:                          7,
				`redis_db_keys{db="db1",server="main"}`:                          0,
				`redis_db_avg_ttl_seconds{db="db0",server="main"}`:               60,
				`redis_latest_fork_seconds{server="main"}`:                       0.00025,
				`redis_evicted_keys_total{server="main"}`:                        5,
				`redis_expired_keys_total{server="main"}`:                        31,
				`redis_rejected_connections_total{server="main"}`:                2,
				`redis_connected_slave_offset_bytes{server="main",slave_ip="10.1.0.6",slave_port="6379",slave_state="wait_bgsave"}`: 0,
				`redis_connected_slave_lag_seconds{server="main",slave_ip="10.1.0.5",slave_port="6379",slave_state="online"}`:       0,
				`redis_cpu_user_seconds_total{server="main"}`:                                                                       20.25,
			},
			absent: []string{"redis_commands_rejected_calls_total", "redis_latency_percentiles_usec", "redis_errors_total", "redis_max_clients"},
		},
		{
			name:      "cluster node pads db0 only",
			info:      "# Cluster\ncluster_enabled:1\n# Keyspace\n",
			databases: 16,
			want:      map[string]float64{`redis_db_keys{db="db0",server="main"}`: 0, `redis_cluster_enabled{server="main"}`: 1},
		},
		{
			name: "malformed lines are skipped, the rest still counts",
			info: "# Keyspace\r\ndb0:keys=x,expires=0\r\ndb2:keys=3\r\ndb1:keys=4,expires=1,avg_ttl=0,subexpiry=2\r\n" +
				"# Commandstats\r\ncmdstat_get:calls=oops\r\ncmdstat_set:calls=2,usec=10,usec_per_call=5.00\r\n" +
				"# Replication\r\nslave0:ip=1.2.3.4,port=1,state=online,offset=nope\r\n" +
				"# Errorstats\r\nerrorstat_ERR:count\r\n" +
				"# Stats\r\nkeyspace_hits:12x\r\nkeyspace_misses:3\r\n:\r\nnonsense\r\n",
			databases: 3,
			want: map[string]float64{
				`redis_db_keys{db="db0",server="main"}`:                     0, // padded: its line did not parse
				`redis_db_keys{db="db2",server="main"}`:                     0,
				`redis_db_keys{db="db1",server="main"}`:                     4,
				`redis_db_keys_with_expiring_items{db="db1",server="main"}`: 2,
				`redis_commands_total{cmd="set",server="main"}`:             2,
				`redis_keyspace_misses_total{server="main"}`:                3,
			},
			absent: []string{"redis_keyspace_hits_total", "redis_connected_slave_offset_bytes", "redis_errors_total", "redis_commands_duration_seconds_total{cmd=\"get\""},
		},
		{
			name:      "keydb multi-master numbers its masters",
			info:      "# Replication\nrole:active-replica\nmaster_host:a\nmaster_port:1\nmaster_link_status:up\nmaster_1_host:b\nmaster_1_port:2\nmaster_1_link_status:down\n",
			databases: 1,
			want: map[string]float64{
				`redis_master_link_up{master_host="a",master_port="1",server="main"}`: 1,
				`redis_master_link_up{master_host="b",master_port="2",server="main"}`: 0,
			},
		},
	}
	c := offlineCollector(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := tt.info
			if !strings.Contains(info, "\n") {
				info = readFixture(t, info)
			}
			got := parseToSamples(t, c, info, testNow, tt.databases)
			for k, want := range tt.want {
				v, ok := got.values[k]
				if !ok {
					t.Errorf("missing %s", k)
					continue
				}
				if math.Abs(v-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Errorf("%s = %v, want %v", k, v, want)
				}
			}
			for _, name := range tt.absent {
				for k := range got.values {
					if strings.HasPrefix(k, name+"{") || (strings.Contains(name, "{") && strings.HasPrefix(k, name)) {
						t.Errorf("%s should be absent, found %s", name, k)
					}
				}
			}
			for name, typ := range tt.types {
				if got.types[name] != typ {
					t.Errorf("type of %s = %v, want %v", name, got.types[name], typ)
				}
			}
		})
	}
}

func TestParseInfoPadsOnlyConfiguredDatabases(t *testing.T) {
	c := offlineCollector(t)
	got := parseToSamples(t, c, "# Keyspace\n", testNow, 2)
	n := 0
	for k := range got.values {
		if strings.HasPrefix(k, "redis_db_keys{") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("got %d redis_db_keys series for databases: 2, want 2", n)
	}
}

func TestWithoutServerLabel(t *testing.T) {
	c := offlineCollector(t, WithoutServerLabel())
	got := parseToSamples(t, c, readFixture(t, "redis6-primary.info"), testNow, 16)
	for k := range got.values {
		if strings.Contains(k, "server=") {
			t.Fatalf("%s has a server label", k)
		}
	}
	if got.values[`redis_connected_clients{}`] != 7 {
		t.Errorf("redis_connected_clients{} = %v, want 7", got.values[`redis_connected_clients{}`])
	}
}

func TestParseConnectedSlave(t *testing.T) {
	tests := []struct {
		key, value string
		ok         bool
		want       connectedSlave
	}{
		{"slave0", "ip=10.0.0.1,port=6379,state=online,offset=10,lag=2", true, connectedSlave{ip: "10.0.0.1", port: "6379", state: "online", offset: 10, lag: 2, hasLag: true}},
		{"slave12", "ip=::1,port=7000,state=wait_bgsave,offset=0", true, connectedSlave{ip: "::1", port: "7000", state: "wait_bgsave"}},
		{"slave_priority", "100", false, connectedSlave{}},
		{"slave0", "ip=1,port=2,state=x,offset=abc,lag=0", false, connectedSlave{}},
		{"slave0", "ip=1,port=2,state=x,offset=1,lag=z", false, connectedSlave{}},
		{"slave0", "ip=a=b,offset=1", false, connectedSlave{}},
	}
	for _, tt := range tests {
		got, ok := parseConnectedSlave(tt.key, tt.value)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseConnectedSlave(%q, %q) = %+v, %v; want %+v, %v", tt.key, tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEveryMetricHasADescriptor(t *testing.T) {
	c := offlineCollector(t)
	for _, d := range fixedDefs() {
		if c.descs[d] == nil {
			t.Errorf("no descriptor for %s", d.name)
		}
	}
	// Every table entry must resolve to a distinct metric name and type.
	seen := map[string]string{}
	for field, d := range infoFields {
		if other, dup := seen[d.name]; dup {
			t.Errorf("INFO fields %s and %s both map to redis_%s", field, other, d.name)
		}
		seen[d.name] = field
	}
}

func BenchmarkParseInfo(b *testing.B) {
	c := offlineCollector(b)
	info := readFixture(b, "redis7-primary.info")
	ch := make(chan prometheus.Metric, 512)
	done := make(chan struct{})
	go func() {
		for range ch {
		}
		close(done)
	}()
	out := &chanSink{ch: ch, c: c}
	params := parseParams{now: testNow, databases: 16}
	b.ReportAllocs()
	for b.Loop() {
		parseInfo(info, params, out)
	}
	close(ch)
	<-done
}
