package postgres

import (
	"context"
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestSettingMetric(t *testing.T) {
	for _, tc := range []struct {
		in        setting
		wantName  string
		wantValue float64
		wantErr   bool
	}{
		{setting{name: "fsync", value: "on", vartype: "bool"}, "pg_settings_fsync", 1, false},
		{setting{name: "ssl", value: "off", vartype: "bool"}, "pg_settings_ssl", 0, false},
		{setting{name: "max_connections", value: "100", vartype: "integer"}, "pg_settings_max_connections", 100, false},
		{setting{name: "shared_buffers", value: "16384", unit: "8kB", vartype: "integer"}, "pg_settings_shared_buffers_bytes", 16384 * 8192, false},
		{setting{name: "work_mem", value: "4096", unit: "kB", vartype: "integer"}, "pg_settings_work_mem_bytes", 4096 * 1024, false},
		{setting{name: "wal_buffers", value: "512", unit: "4kB", vartype: "integer"}, "pg_settings_wal_buffers_bytes", 512 * 4096, false},
		{setting{name: "x_blocks", value: "2", unit: "64kB", vartype: "integer"}, "pg_settings_x_blocks_bytes", 2 * 65536, false},
		{setting{name: "max_wal_size", value: "1024", unit: "MB", vartype: "integer"}, "pg_settings_max_wal_size_bytes", 1 << 30, false},
		{setting{name: "statement_timeout", value: "1500", unit: "ms", vartype: "integer"}, "pg_settings_statement_timeout_seconds", 1.5, false},
		{setting{name: "vacuum_cost_delay", value: "2", unit: "ms", vartype: "real"}, "pg_settings_vacuum_cost_delay_seconds", 0.002, false},
		{setting{name: "checkpoint_timeout", value: "300", unit: "s", vartype: "integer"}, "pg_settings_checkpoint_timeout_seconds", 300, false},
		{setting{name: "log_rotation_age", value: "1440", unit: "min", vartype: "integer"}, "pg_settings_log_rotation_age_seconds", 86400, false},
		{setting{name: "log_min_duration_statement", value: "-1", unit: "ms", vartype: "integer"}, "pg_settings_log_min_duration_statement_seconds", -1, false},
		{setting{name: "seq_page_cost", value: "1.5", vartype: "real"}, "pg_settings_seq_page_cost", 1.5, false},
		{setting{name: "pg_stat_statements.max", value: "5000", vartype: "integer"}, "pg_settings_pg_stat_statements_max", 5000, false},
		{setting{name: "x", value: "1", unit: "parsecs", vartype: "integer"}, "", 0, true},
		{setting{name: "x", value: "lots", vartype: "integer"}, "", 0, true},
		{setting{name: "x", value: "a", vartype: "string"}, "", 0, true},
	} {
		name, _, value, err := tc.in.metric()
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.in.name, err, tc.wantErr)
			continue
		}
		if name != tc.wantName || math.Abs(value-tc.wantValue) > 1e-12 {
			t.Errorf("%s: got %s = %v, want %s = %v", tc.in.name, name, value, tc.wantName, tc.wantValue)
		}
	}
}

func TestVersions(t *testing.T) {
	for in, want := range map[string]string{
		"PostgreSQL 15.4 (Debian 15.4-1) on x86_64-pc-linux-gnu": "15.4.0",
		"PostgreSQL 9.6.24 on x86_64":                            "9.6.24",
		"PostgreSQL 17devel on x86_64":                           "17.0.0",
		"garbage":                                                "",
	} {
		if got := shortVersion(in); got != want {
			t.Errorf("shortVersion(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]int{"15.4 (Debian 15.4-1)": 15, "16beta1": 16, "9.6.24": 9, "": 0} {
		if got := majorVersion(in); got != want {
			t.Errorf("majorVersion(%q) = %d, want %d", in, got, want)
		}
	}
}

type fakeRows struct {
	rows [][][]byte
	i    int
}

func (f *fakeRows) NextRow() bool    { f.i++; return f.i <= len(f.rows) }
func (f *fakeRows) Values() [][]byte { return f.rows[f.i-1] }

func row(vals ...any) [][]byte {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out
}

func TestReplicationRowsBecomeOneSeriesPerStandby(t *testing.T) {
	s := newScraper(nil, discardLogger())
	rows := &fakeRows{rows: [][][]byte{
		row("walreceiver", "10.0.0.2", "streaming", "5000", "100"),
		row("pg_basebackup", "10.0.0.3", "backup", "5000", "900"),
		row("pg_basebackup", "10.0.0.3", "backup", "5000", "4000"), // same labels: keep the worst
		row("walreceiver", "", "startup", "5000", nil),             // unix socket, nothing replayed yet
	}}
	got, err := scrapeOnce(context.Background(), t, func(_ context.Context, ch chan<- prometheus.Metric) error {
		return s.emitReplication(rows, ch)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got["pg_stat_replication_pg_wal_lsn_diff"].GetMetric()); n != 3 {
		t.Fatalf("%d series, want 3", n)
	}
	if v := got.mustValue(t, "pg_stat_replication_pg_wal_lsn_diff", map[string]string{"application_name": "pg_basebackup"}); v != 4000 {
		t.Errorf("duplicate standbys: lag %v, want the larger 4000", v)
	}
	if v := got.mustValue(t, "pg_stat_replication_pg_wal_lsn_diff", map[string]string{"state": "startup", "client_addr": ""}); !math.IsNaN(v) {
		t.Errorf("NULL replay_lsn: lag %v, want NaN as postgres_exporter reports", v)
	}
	if got.labelNames("pg_stat_replication_pg_current_wal_lsn_bytes") != "application_name,client_addr,state" {
		t.Errorf("labels = %s", got.labelNames("pg_stat_replication_pg_current_wal_lsn_bytes"))
	}
}

func TestConstMetricDoesNotPanicOnInvalidLabel(t *testing.T) {
	desc := prometheus.NewDesc("pg_database_size_bytes", "h", []string{"datname"}, nil)
	var m dto.Metric
	if err := constMetric(desc, prometheus.GaugeValue, 1, "caf\xe9").Write(&m); err == nil {
		t.Error("a datname that is not UTF-8 gave a valid metric")
	}
	if err := constMetric(desc, prometheus.GaugeValue, 1, "café").Write(&m); err != nil || m.GetGauge().GetValue() != 1 {
		t.Errorf("valid metric: %v, %v", err, m.GetGauge().GetValue())
	}
}
