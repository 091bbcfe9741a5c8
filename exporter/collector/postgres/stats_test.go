package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
)

// PostgreSQL 17 moved the checkpoint counters out of pg_stat_bgwriter; the
// statement must not name a column the server no longer has (the whole
// statement would fail), and the metrics follow postgres_exporter's split.
func TestServerStatsFollowTheServerVersion(t *testing.T) {
	sql15, sql17 := serverStatsSQL(15), serverStatsSQL(17)
	for _, col := range []string{"b.checkpoints_timed", "b.buffers_backend_fsync", "b.checkpoint_write_time"} {
		if !strings.Contains(sql15, col) {
			t.Errorf("PostgreSQL 15 statement lacks %s", col)
		}
		if strings.Contains(sql17, col) {
			t.Errorf("PostgreSQL 17 statement reads %s, which 17 dropped", col)
		}
	}
	if strings.Contains(sql15, "pg_stat_checkpointer") || !strings.Contains(sql17, "pg_stat_checkpointer") {
		t.Errorf("pg_stat_checkpointer is read before 17 or not from 17 on:\n%s\n%s", sql15, sql17)
	}

	s := newScraper(nil, discardLogger())
	// buffers_clean, maxwritten_clean, buffers_alloc, stats_reset; the nine
	// checkpointer columns; archived, failed, last archive age (NULL).
	rows := &fakeRows{rows: [][][]byte{row("PostgreSQL 17.2 on x86_64", "f", "0", "0", "1700000000",
		"7", "1", "900", "1700000000",
		"11", "12", "0", "0", "0", "250.5", "3.25", "4096", "0",
		"5", "1", nil)}}
	got, err := scrapeOnce(context.Background(), t, func(_ context.Context, ch chan<- prometheus.Metric) error {
		return instanceEmitter(17)(s, rows, ch)
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		"pg_stat_bgwriter_buffers_clean_total":       7,
		"pg_stat_bgwriter_buffers_alloc_total":       900,
		"pg_stat_bgwriter_stats_reset_total":         1700000000,
		"pg_stat_checkpointer_num_timed_total":       11,
		"pg_stat_checkpointer_num_requested_total":   12,
		"pg_stat_checkpointer_write_time_total":      250.5,
		"pg_stat_checkpointer_sync_time_total":       3.25,
		"pg_stat_checkpointer_buffers_written_total": 4096,
		"pg_stat_archiver_archived_count":            5,
		"pg_stat_archiver_failed_count":              1,
	} {
		if v := got.mustValue(t, name, nil); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	for _, absent := range []string{"pg_stat_bgwriter_checkpoints_timed_total", "pg_stat_bgwriter_buffers_backend_total", "pg_stat_archiver_last_archive_age"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s reported on PostgreSQL 17 (or with nothing archived)", absent)
		}
	}

	if v := got.mustValue(t, "pg_static", map[string]string{"short_version": "17.2.0"}); v != 1 {
		t.Errorf("pg_static = %v", v)
	}
	short := row("PostgreSQL 17.2", "f", "0", "0", "0", "1", "2")
	if err := instanceEmitter(17)(s, &fakeRows{rows: [][][]byte{short}}, make(chan prometheus.Metric, 100)); err == nil {
		t.Error("a short row was accepted")
	}
}

func TestStatDatabaseColumnsFollowTheServerVersion(t *testing.T) {
	for major, want := range map[int][]string{
		13: {"d.xact_commit", "c.confl_deadlock"},
		15: {"d.active_time", "c.confl_bufferpin"},
		16: {"d.active_time", "c.confl_active_logicalslot"},
	} {
		sql := statDatabaseSQL(major)
		for _, col := range want {
			if !strings.Contains(sql, col) {
				t.Errorf("PostgreSQL %d: statement lacks %s", major, col)
			}
		}
	}
	if sql := statDatabaseSQL(15); strings.Contains(sql, "confl_active_logicalslot") {
		t.Error("PostgreSQL 15 has no confl_active_logicalslot")
	}

	s := newScraper(nil, discardLogger())
	vals := []any{"5", "app"}
	for range statDatabaseColumns {
		vals = append(vals, "1")
	}
	vals = append(vals, "2500")                  // active_time, ms
	vals = append(vals, "0", "1", "2", "3", "4") // conflicts
	vals = append(vals, "9")                     // confl_active_logicalslot
	got, err := scrapeOnce(context.Background(), t, func(_ context.Context, ch chan<- prometheus.Metric) error {
		return statDatabaseEmitter(16)(s, &fakeRows{rows: [][][]byte{row(vals...)}}, ch)
	})
	if err != nil {
		t.Fatal(err)
	}
	db := map[string]string{"datid": "5", "datname": "app"}
	for name, want := range map[string]float64{
		"pg_stat_database_active_time_seconds_total":          2.5,
		"pg_stat_database_conflicts_confl_lock":               1,
		"pg_stat_database_conflicts_confl_deadlock":           4,
		"pg_stat_database_conflicts_confl_active_logicalslot": 9,
	} {
		if v := got.mustValue(t, name, db); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
}

// A lock the test holds shows up in pg_locks_count of its database and mode,
// and every database reports every mode (zeros included), as
// postgres_exporter's locks collector does.
func TestLocksCountHeldLocks(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx := testenv.Context(t, 20*time.Second)
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(context.Background())
	var datname string
	if err := holder.QueryRow(ctx, "SELECT current_database()").Scan(&datname); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE golive_locks_test (i int) ON COMMIT DROP; LOCK TABLE golive_locks_test IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	c := newTestCollector(t, Config{Name: "locks", DSN: secret.Secret(dsn)})
	got, err := scrapeOnce(ctx, t, c.Update)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.mustValue(t, "pg_locks_count", map[string]string{"datname": datname, "mode": "sharerowexclusivelock"}); v < 1 {
		t.Errorf("pg_locks_count{mode=sharerowexclusivelock} = %v while the test holds one", v)
	}
	if v := got.mustValue(t, "pg_locks_count", map[string]string{"datname": "template1", "mode": "sireadlock"}); v != 0 {
		t.Errorf("pg_locks_count{datname=template1,mode=sireadlock} = %v, want 0", v)
	}
	if got.labelNames("pg_locks_count") != "datname,mode,server" {
		t.Errorf("labels %s", got.labelNames("pg_locks_count"))
	}
	databases := queryFloat(t, dsn, "SELECT count(*)::float8 FROM pg_database")
	if n := len(got["pg_locks_count"].GetMetric()); float64(n) < 9*databases-9 { // a database may be dropped meanwhile
		t.Errorf("%d pg_locks_count series for %v databases, want 9 modes each", n, databases)
	}
	if n := len(got["pg_stat_database_conflicts_confl_snapshot"].GetMetric()); n == 0 {
		t.Error("no pg_stat_database_conflicts_confl_snapshot series")
	}
	bgwriterAlloc := queryFloat(t, dsn, "SELECT buffers_alloc::float8 FROM pg_stat_bgwriter")
	if v := got.mustValue(t, "pg_stat_bgwriter_buffers_alloc_total", nil); v <= 0 || v > bgwriterAlloc {
		t.Errorf("pg_stat_bgwriter_buffers_alloc_total = %v, server says %v afterwards", v, bgwriterAlloc)
	}
}
