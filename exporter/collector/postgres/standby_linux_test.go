package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
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

// startStandby makes a streaming standby of the server behind primaryDSN and
// runs it on a free loopback port until the test ends. The server refuses to
// run as root, so under root it runs as the postgres user. It needs the
// server's binaries (GOLIVE_TEST_PG_BINDIR, else /usr/lib/postgresql/<major>/bin)
// and a pg_hba.conf that lets the test user replicate from 127.0.0.1 (.ci/run
// adds that line).
func startStandby(ctx context.Context, t *testing.T, primaryDSN string) string {
	t.Helper()
	major := int(queryFloat(t, primaryDSN, "SELECT current_setting('server_version_num')::float8")) / 10000
	bindir := os.Getenv("GOLIVE_TEST_PG_BINDIR")
	if bindir == "" {
		bindir = fmt.Sprintf("/usr/lib/postgresql/%d/bin", major)
	}
	for _, tool := range []string{"pg_basebackup", "postgres"} {
		if _, err := os.Stat(filepath.Join(bindir, tool)); err != nil {
			testenv.Unavailable(t, "%s of PostgreSQL %d not in %s (set GOLIVE_TEST_PG_BINDIR)", tool, major, bindir)
		}
	}
	cred, uid, gid := runAs(t)

	dir, err := os.MkdirTemp("", "golive-standby-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")

	backup := exec.CommandContext(ctx, filepath.Join(bindir, "pg_basebackup"),
		"--dbname="+primaryDSN, "--pgdata="+data, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast")
	backup.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := backup.CombinedOutput(); err != nil {
		testenv.Unavailable(t, "pg_basebackup from the test server failed (does pg_hba.conf allow replication from 127.0.0.1?): %v\n%s", err, out)
	}

	// Debian keeps postgresql.conf and pg_hba.conf in /etc, so the backup
	// has neither; the settings that matter are on the command line.
	for name, content := range map[string]string{
		"postgresql.conf": "",
		"pg_hba.conf":     "local all all trust\nhost all all 127.0.0.1/32 trust\n",
		"pg_ident.conf":   "",
	} {
		path := filepath.Join(data, name)
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, gid); err != nil {
			t.Fatal(err)
		}
	}

	port := closedPort(t)
	server := exec.Command(filepath.Join(bindir, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
		"-c", "cluster_name="+standbyName, "-c", "hot_standby=on",
		"-c", "logging_collector=off", "-c", "log_destination=stderr")
	logFile, err := os.Create(filepath.Join(dir, "standby.log"))
	if err != nil {
		t.Fatal(err)
	}
	server.Stdout, server.Stderr = logFile, logFile
	server.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := server.Start(); err != nil {
		t.Fatalf("start standby: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = server.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = server.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = server.Process.Kill()
			<-done
		}
		logFile.Close()
	})

	cfg, err := pgx.ParseConfig(primaryDSN)
	if err != nil {
		t.Fatal(err)
	}
	dsn := fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", cfg.User, port, cfg.Database)
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			var inRecovery bool
			err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
			conn.Close(context.Background())
			if err == nil && inRecovery {
				return dsn
			}
			if err == nil {
				t.Fatal("the standby is not in recovery")
			}
		}
		select {
		case <-ctx.Done():
		case <-done:
		case <-time.After(100 * time.Millisecond):
			continue
		}
		log, _ := os.ReadFile(logFile.Name())
		t.Fatalf("standby did not accept connections: %v\n%s", err, log)
	}
}

// runAs returns the credential to run PostgreSQL's binaries with: the
// postgres user's when the tests run as root, none otherwise.
func runAs(t *testing.T) (cred *syscall.Credential, uid, gid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, os.Geteuid(), os.Getegid()
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		testenv.Unavailable(t, "running as root and there is no postgres user to run a standby as: %v", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid
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
