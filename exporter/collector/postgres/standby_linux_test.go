package postgres

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/internal/testenv/pgcluster"
)

// standbyName is the standby's cluster_name, which its WAL receiver reports
// to the primary as application_name.
const standbyName = "golive_test_standby"

// TestReplicationOnARealStandby streams the test server to a standby made
// with pg_basebackup and scrapes both: the standby reports itself as a
// replica with its lag, the primary reports the standby's lag in bytes, and
// postgres_exporter agrees on the standby's replication metrics.
func TestReplicationOnARealStandby(t *testing.T) {
	primaryDSN := testenv.PostgresDSN(t)
	ctx := testenv.Context(t, 2*time.Minute)
	standbyDSN := startStandby(ctx, t, primaryDSN)

	// Some WAL to replay, so that the standby has replayed a transaction.
	exec1(ctx, t, primaryDSN, "CREATE TABLE IF NOT EXISTS golive_standby_probe (at timestamptz)")
	t.Cleanup(func() { exec1(context.Background(), t, primaryDSN, "DROP TABLE IF EXISTS golive_standby_probe") })
	exec1(ctx, t, primaryDSN, "INSERT INTO golive_standby_probe VALUES (now())")
	standby := newTestCollector(t, Config{Name: "standby", DSN: secret.Secret(standbyDSN)})
	server := map[string]string{"server": "standby"}
	// Other tests write to the same server at the same time, so WAL can
	// arrive between "caught up" and the scrape: scrape again until one
	// lands while received = replayed (a standby that never reports 0 when
	// caught up still fails).
	var (
		got gathered
		err error
	)
	for attempt := 0; ; attempt++ {
		waitCaughtUp(ctx, t, primaryDSN)
		if got, err = scrapeOnce(ctx, t, standby.Update); err != nil {
			t.Fatalf("standby: %v", err)
		}
		if got.mustValue(t, "pg_replication_lag_seconds", server) == 0 || attempt == 20 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v := got.mustValue(t, "pg_up", server); v != 1 {
		t.Errorf("standby pg_up = %v", v)
	}
	if v := got.mustValue(t, "pg_replication_is_replica", server); v != 1 {
		t.Errorf("standby pg_replication_is_replica = %v, want 1", v)
	}
	// Caught up (received = replayed): postgres_exporter's formula says 0.
	if v := got.mustValue(t, "pg_replication_lag_seconds", server); v != 0 {
		t.Errorf("caught-up standby pg_replication_lag_seconds = %v, want 0", v)
	}
	if v := got.mustValue(t, "pg_replication_last_replay_seconds", server); v < 0 || v > 120 {
		t.Errorf("standby pg_replication_last_replay_seconds = %v, want the age of the insert above", v)
	}
	if f := got["pg_stat_replication_pg_wal_lsn_diff"]; f != nil && len(f.GetMetric()) > 0 {
		t.Errorf("a standby without cascading standbys reported %d pg_stat_replication series", len(f.GetMetric()))
	}

	primary := newTestCollector(t, Config{Name: "primary", DSN: secret.Secret(primaryDSN)})
	before := queryFloat(t, primaryDSN, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8")
	got, err = scrapeOnce(ctx, t, primary.Update)
	if err != nil {
		t.Fatalf("primary: %v", err)
	}
	after := queryFloat(t, primaryDSN, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8")
	labels := map[string]string{"server": "primary", "application_name": standbyName, "client_addr": "127.0.0.1", "state": "streaming"}
	if v := got.mustValue(t, "pg_replication_is_replica", map[string]string{"server": "primary"}); v != 0 {
		t.Errorf("primary pg_replication_is_replica = %v, want 0", v)
	}
	if v := got.mustValue(t, "pg_stat_replication_pg_current_wal_lsn_bytes", labels); v < before || v > after {
		t.Errorf("primary pg_stat_replication_pg_current_wal_lsn_bytes = %v, want within [%v, %v]", v, before, after)
	}
	if v := got.mustValue(t, "pg_stat_replication_pg_wal_lsn_diff", labels); v < 0 || v > after {
		t.Errorf("primary pg_stat_replication_pg_wal_lsn_diff = %v, want a lag in bytes", v)
	}

	// postgres_exporter on the primary: the same standbys with the same
	// labels, and LSN positions between its readings before and after ours.
	// Its series also carry slot_name, which holds the WAL sender's pid (its
	// label lookup falls back to the first column, pid, as pg_stat_replication
	// has no slot_name); golive leaves that label out, since it changes on
	// every reconnect. On the standby, postgres_exporter 0.11 reports no
	// pg_replication_* at all (they come from its optional queries file).
	tool := testenv.Tool(t, "POSTGRES_EXPORTER", "prometheus-postgres-exporter")
	fetchTheirs := startPostgresExporter(t, tool, primaryDSN)
	theirsBefore := fetchTheirs()
	got, err = scrapeOnce(ctx, t, primary.Update)
	if err != nil {
		t.Fatal(err)
	}
	theirsAfter := fetchTheirs()
	for _, name := range []string{"pg_stat_replication_pg_current_wal_lsn_bytes", "pg_stat_replication_pg_wal_lsn_diff"} {
		lo, hi := theirValue(t, theirsBefore, name), theirValue(t, theirsAfter, name)
		if name == "pg_stat_replication_pg_wal_lsn_diff" {
			lo, hi = 0, max(lo, hi, after-before) // a lag: any small value
		}
		if v := got.mustValue(t, name, labels); v < lo || v > hi {
			t.Errorf("%s = %v, postgres_exporter read %v before and %v after", name, v, lo, hi)
		}
	}
}

// theirValue is the value of the standby's series in one of postgres_exporter's scrapes.
func theirValue(t *testing.T, families map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f, ok := families[name]
	if !ok {
		t.Fatalf("postgres_exporter did not report %s", name)
	}
	for _, m := range f.GetMetric() {
		if hasLabels(m, map[string]string{"application_name": standbyName, "client_addr": "127.0.0.1", "state": "streaming"}) {
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("postgres_exporter's %s has no series for the standby: %v", name, f.GetMetric())
	return 0
}

// startStandby makes a streaming standby of the server behind primaryDSN
// (pg_basebackup, run as the postgres user under root) on a free loopback
// port until the test ends. It needs the server's binaries
// (GOLIVE_TEST_PG_BINDIR, else /usr/lib/postgresql/<major>/bin) and a
// pg_hba.conf that lets the test user replicate from 127.0.0.1 (.ci/run
// adds that line).
func startStandby(ctx context.Context, t *testing.T, primaryDSN string) string {
	t.Helper()
	major := int(queryFloat(t, primaryDSN, "SELECT current_setting('server_version_num')::float8")) / 10000
	return pgcluster.Standby(ctx, t, primaryDSN, major, pgcluster.Options{Name: standbyName}).DSN
}

func exec1(ctx context.Context, t *testing.T, dsn, sql string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// waitCaughtUp waits until the standby has replayed everything the primary
// has written.
func waitCaughtUp(ctx context.Context, t *testing.T, primaryDSN string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, primaryDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var states []string
	for {
		var caughtUp bool
		err := conn.QueryRow(ctx, `SELECT COALESCE(bool_and(state = 'streaming' AND replay_lsn = pg_current_wal_lsn()), false)
			FROM pg_stat_replication WHERE application_name = $1`, standbyName).Scan(&caughtUp)
		if err == nil && caughtUp {
			return
		}
		if ctx.Err() != nil || (err != nil && !errors.Is(err, pgx.ErrNoRows)) {
			rows, _ := conn.Query(context.Background(), "SELECT application_name || ' ' || state FROM pg_stat_replication")
			states, _ = pgx.CollectRows(rows, pgx.RowTo[string])
			sort.Strings(states)
			t.Fatalf("the standby did not catch up: %v; pg_stat_replication: %v", err, states)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
