package postgres

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newTestCollector(t *testing.T, cfg Config) *Collector {
	t.Helper()
	c, err := New(cfg, discardLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// queryFloat runs a one-value query on a separate connection.
func queryFloat(t *testing.T, dsn, sql string) float64 {
	t.Helper()
	ctx := testenv.Context(t, 10*time.Second)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var f float64
	if err := conn.QueryRow(ctx, sql).Scan(&f); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return f
}

func TestCollectorReportsRealServer(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	c := newTestCollector(t, Config{Name: "primary", DSN: secret.Secret(dsn)})
	got, err := scrapeOnce(testenv.Context(t, 10*time.Second), t, c.Update)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	server := map[string]string{"server": "primary"}
	db := map[string]string{"server": "primary", "datname": "test"}

	if v := got.mustValue(t, "pg_up", server); v != 1 {
		t.Errorf("pg_up = %v, want 1", v)
	}
	if v := got.mustValue(t, "pg_replication_is_replica", server); v != 0 {
		t.Errorf("pg_replication_is_replica = %v on a primary", v)
	}
	if v := got.mustValue(t, "pg_replication_lag_seconds", server); v != 0 {
		t.Errorf("pg_replication_lag_seconds = %v on a primary", v)
	}
	want := queryFloat(t, dsn, "SELECT setting::float8 FROM pg_settings WHERE name = 'max_connections'")
	if v := got.mustValue(t, "pg_settings_max_connections", server); v != want {
		t.Errorf("pg_settings_max_connections = %v, want %v", v, want)
	}
	want = queryFloat(t, dsn, "SELECT setting::float8 * 8192 FROM pg_settings WHERE name = 'shared_buffers'")
	if v := got.mustValue(t, "pg_settings_shared_buffers_bytes", server); v != want {
		t.Errorf("pg_settings_shared_buffers_bytes = %v, want %v", v, want)
	}
	want = queryFloat(t, dsn, "SELECT EXTRACT(EPOCH FROM pg_postmaster_start_time())::float8")
	if v := got.mustValue(t, "pg_postmaster_start_time_seconds", server); v != want {
		t.Errorf("pg_postmaster_start_time_seconds = %v, want %v", v, want)
	}
	want = queryFloat(t, dsn, "SELECT pg_database_size('test')::float8")
	if v := got.mustValue(t, "pg_database_size_bytes", db); v < want*0.5 || v > want*2 {
		t.Errorf("pg_database_size_bytes{datname=test} = %v, want about %v", v, want)
	}
	if v := got.mustValue(t, "pg_stat_activity_count", map[string]string{"datname": "test", "state": "active"}); v < 1 {
		t.Errorf("pg_stat_activity_count{test,active} = %v, want >= 1 (the scrape itself)", v)
	}
	commits := got.mustValue(t, "pg_stat_database_xact_commit", db)
	if commits < 1 {
		t.Errorf("pg_stat_database_xact_commit{test} = %v", commits)
	}
	if _, ok := got.value(t, "pg_stat_database_xact_commit", map[string]string{"datname": ""}); ok {
		t.Error("the shared-objects row (datid 0, no datname) must be skipped, as postgres_exporter does")
	}

	for name, wantType := range map[string]dto.MetricType{
		"pg_up":                                      dto.MetricType_GAUGE,
		"pg_static":                                  dto.MetricType_UNTYPED,
		"pg_stat_database_numbackends":               dto.MetricType_GAUGE,
		"pg_stat_database_xact_commit":               dto.MetricType_COUNTER,
		"pg_stat_database_blk_read_time":             dto.MetricType_COUNTER,
		"pg_stat_database_stats_reset":               dto.MetricType_COUNTER,
		"pg_stat_database_active_time_seconds_total": dto.MetricType_COUNTER,
		"pg_database_size_bytes":                     dto.MetricType_GAUGE,
		"pg_stat_activity_max_tx_duration":           dto.MetricType_GAUGE,
		"pg_settings_fsync":                          dto.MetricType_GAUGE,
	} {
		if f, ok := got[name]; !ok || f.GetType() != wantType {
			t.Errorf("%s: type %v (present %v), want %v", name, f.GetType(), ok, wantType)
		}
	}
	for name, want := range map[string]string{
		"pg_up":                            "server",
		"pg_static":                        "server,short_version,version",
		"pg_stat_database_blks_hit":        "datid,datname,server",
		"pg_database_size_bytes":           "datname,server",
		"pg_stat_activity_count":           "datname,server,state",
		"pg_stat_activity_max_tx_duration": "datname,server,state",
		"pg_settings_max_connections":      "server",
	} {
		if got := got.labelNames(name); got != want {
			t.Errorf("%s labels = %s, want %s", name, got, want)
		}
	}
	if got.labelNames("pg_static") != "<absent>" {
		sv := got["pg_static"].GetMetric()[0]
		for _, l := range sv.GetLabel() {
			if l.GetName() == "short_version" && strings.Count(l.GetValue(), ".") != 2 {
				t.Errorf("short_version = %q, want major.minor.patch", l.GetValue())
			}
		}
	}
}

func TestCollectorCountersAdvanceOnOnePersistentConnection(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	c := newTestCollector(t, Config{Name: "p", DSN: secret.Secret(dsn), MaxConns: 1})
	ctx := testenv.Context(t, 20*time.Second)
	db := map[string]string{"datname": "test"}

	first, err := scrapeOnce(ctx, t, c.Update)
	if err != nil {
		t.Fatal(err)
	}
	var pid uint32
	if err := c.Pool().AcquireFunc(ctx, func(conn *pgxpool.Conn) error {
		pid = conn.Conn().PgConn().PID()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Backends flush their statistics at most once a second, so poll.
	before, after := first.mustValue(t, "pg_stat_database_xact_commit", db), 0.0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		next, err := scrapeOnce(ctx, t, c.Update)
		if err != nil {
			t.Fatal(err)
		}
		if after = next.mustValue(t, "pg_stat_database_xact_commit", db); after > before {
			break
		}
	}
	if after <= before {
		t.Errorf("xact_commit did not advance over scrapes: %v then %v", before, after)
	}
	if s := c.Pool().Stat(); s.TotalConns() != 1 || s.NewConnsCount() != 1 {
		t.Errorf("pool opened %d connections (total %d), want one reused", s.NewConnsCount(), s.TotalConns())
	}
	// The backend is findable by application_name, for benchmarks and DBAs.
	var app string
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT application_name FROM pg_stat_activity WHERE pid = $1", pid).Scan(&app); err != nil {
		t.Fatal(err)
	}
	if app != ApplicationName {
		t.Errorf("application_name = %q, want %q", app, ApplicationName)
	}
}

func TestNewDoesNotTouchTheNetwork(t *testing.T) {
	host, port := hungListener(t)
	start := time.Now()
	// A 30s connect timeout makes a New that dialled take 30s: far past the
	// bound, which leaves a loaded machine plenty of room.
	c := newTestCollector(t, Config{Name: "x", Host: host, Port: port, Timeout: 30 * time.Second})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("New took %v against a hung server; it must connect lazily", elapsed)
	}
	if n := c.Pool().Stat().TotalConns(); n != 0 {
		t.Errorf("New opened %d connections", n)
	}
}

func TestHungServerAnswersByTheDeadlineWithUpZero(t *testing.T) {
	host, port := hungListener(t)
	for _, sslmode := range []string{"disable", "prefer"} {
		t.Run(sslmode, func(t *testing.T) {
			c := newTestCollector(t, Config{Name: "hung", Host: host, Port: port, SSLMode: sslmode, Timeout: 30 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			got, err := scrapeOnce(ctx, t, c.Update)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("Update against a hung server returned no error")
			}
			if elapsed > 5*time.Second { // the configured 30s timeout would take 30s
				t.Errorf("Update returned after %v; the deadline was 300ms", elapsed)
			}
			if v := got.mustValue(t, "pg_up", map[string]string{"server": "hung"}); v != 0 {
				t.Errorf("pg_up = %v, want 0", v)
			}
			if len(got) != 1 {
				t.Errorf("got %d metric families, want only pg_up", len(got))
			}
		})
	}
}

func TestRefusedServerReportsUpZero(t *testing.T) {
	c := newTestCollector(t, Config{Name: "down", Host: "127.0.0.1", Port: closedPort(t), SSLMode: "disable"})
	got, err := scrapeOnce(testenv.Context(t, 5*time.Second), t, c.Update)
	if err == nil {
		t.Fatal("no error from a refused connection")
	}
	if v := got.mustValue(t, "pg_up", nil); v != 0 {
		t.Errorf("pg_up = %v, want 0", v)
	}
}

// The DSN's password must appear in no error, log line or metric, whichever
// way the connection fails.
func TestPasswordNeverLeaks(t *testing.T) {
	const pw = "Sup3r-S3cret-pw"
	hungHost, hungPort := hungListener(t)
	for name, dsn := range map[string]string{
		"refused": fmt.Sprintf("postgres://golive:%s@127.0.0.1:%d/app?sslmode=disable", pw, closedPort(t)),
		"hung":    fmt.Sprintf("postgres://golive:%s@%s:%d/app?sslmode=disable&connect_timeout=1", pw, hungHost, hungPort),
		"dns":     fmt.Sprintf("host=no-such-host.invalid user=golive password=%s sslmode=disable", pw),
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, err := New(Config{Name: "leak", DSN: secret.Secret(dsn), Timeout: 2 * time.Second}, logger)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			got, err := scrapeOnce(ctx, t, c.Update)
			if err == nil {
				t.Fatal("expected a connection error")
			}
			logger.Error("scrape failed", "err", err, "config", c.cfg)
			var exposition bytes.Buffer
			for _, f := range got {
				if _, err := expfmt.MetricFamilyToText(&exposition, f); err != nil {
					t.Fatal(err)
				}
			}
			for where, text := range map[string]string{
				"error": err.Error(), "error %+v": fmt.Sprintf("%+v", err), "log": logs.String(), "metrics": exposition.String(),
			} {
				if strings.Contains(text, pw) {
					t.Errorf("password leaked into the %s: %s", where, text)
				}
			}
		})
	}
}

func TestConfigErrorsNeverContainThePassword(t *testing.T) {
	const pw = "Sup3r-S3cret-pw"
	for _, dsn := range []string{
		"postgres://golive:" + pw + "@127.0.0.1:notaport/app",
		"postgres://golive:" + pw + "@[::1/app",
		"host=127.0.0.1 password=" + pw + " sslmode=bogus",
		"host=127.0.0.1 password='" + pw + "' port=99999999",
		"postgres://golive:" + pw + "@127.0.0.1/app?sslmode=bogus",
	} {
		err := (&Config{Name: "x", DSN: secret.Secret(dsn), Timeout: time.Second, MaxConns: 1}).Validate()
		if err == nil {
			t.Errorf("DSN %d: no error", len(dsn))
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error leaks the password: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "dsn: ") {
			t.Errorf("error %q does not name the dsn field", err)
		}
	}
}

// The collector must satisfy the runner's expectations: metrics written
// concurrently by several scrapes stay consistent.
func TestConcurrentScrapes(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	c := newTestCollector(t, Config{Name: "p", DSN: secret.Secret(dsn), MaxConns: 2})
	ctx := testenv.Context(t, 20*time.Second)
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			ch := make(chan prometheus.Metric, 4096)
			errs <- c.Update(ctx, ch)
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Errorf("scrape %d: %v", i, err)
		}
	}
	if n := c.Pool().Stat().TotalConns(); n > 2 {
		t.Errorf("%d connections open, max_conns is 2", n)
	}
}

func TestStatementTimeoutIsSentToTheServer(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	c := newTestCollector(t, Config{Name: "p", DSN: secret.Secret(dsn), Timeout: 4 * time.Second})
	ctx := testenv.Context(t, 10*time.Second)
	var got string
	if err := c.Pool().QueryRow(ctx, "SHOW statement_timeout").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "4s" {
		t.Errorf("statement_timeout = %q, want 4s", got)
	}
}
