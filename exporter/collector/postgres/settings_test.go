package postgres

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
)

func TestSettingsAreReusedUntilTheirVersionChanges(t *testing.T) {
	s := newScraper(nil, discardLogger())
	emit := func(rows ...[][]byte) gathered {
		t.Helper()
		got, err := scrapeOnce(context.Background(), t, func(_ context.Context, ch chan<- prometheus.Metric) error {
			return s.emitSettings(&fakeRows{rows: rows}, ch)
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	const v1, v2 = "42 2026-11-22 04:00:00+00 2026-11-22 04:00:00+00", "42 2026-11-22 04:00:00+00 2026-11-22 05:00:00+00"

	if got := s.settings.version(42); got != "" {
		t.Fatalf("version before any read = %q", got)
	}
	got := emit(row(v1, "max_connections", "100", "", "max conns", "integer"), row(v1, "fsync", "on", "", "fsync", "bool"))
	if v := got.mustValue(t, "pg_settings_max_connections", nil); v != 100 {
		t.Errorf("first read: max_connections = %v", v)
	}
	if got := s.settings.version(42); got != v1 {
		t.Errorf("version after the first read = %q, want %q", got, v1)
	}
	if got := s.settings.version(43); got != "" {
		t.Errorf("another backend's version = %q, want none", got)
	}

	// Unchanged: one row with the version and NULL settings.
	got = emit(row(v1, nil, nil, nil, nil, nil))
	if v := got.mustValue(t, "pg_settings_max_connections", nil); v != 100 {
		t.Errorf("unchanged version: max_connections = %v, want the cached 100", v)
	}
	if _, ok := got.value(t, "pg_settings_fsync", nil); !ok {
		t.Error("unchanged version: pg_settings_fsync missing")
	}

	// A reload: new version, new values, and a setting gone.
	got = emit(row(v2, "max_connections", "200", "", "max conns", "integer"))
	if v := got.mustValue(t, "pg_settings_max_connections", nil); v != 200 {
		t.Errorf("after a reload: max_connections = %v, want 200", v)
	}
	if _, ok := got.value(t, "pg_settings_fsync", nil); ok {
		t.Error("after a reload: pg_settings_fsync still reported")
	}

	// No row at all (the statement failed): nothing, not the cache.
	if got := emit(); len(got) != 0 {
		t.Errorf("no rows: %d families, want none", len(got))
	}
}

func TestSettingsCacheStaysBounded(t *testing.T) {
	c := &settingDescs{}
	for pid := range uint32(3 * maxBackends) {
		c.store(versionFor(pid), nil)
		if pid%2 == 0 {
			c.cached(versionFor(0)) // backend 0 stays busy
		}
	}
	if n := len(c.byBackend); n != maxBackends {
		t.Errorf("%d backends cached, want %d", n, maxBackends)
	}
	if c.version(0) == "" {
		t.Error("the busiest backend was evicted")
	}
	if c.version(1) != "" {
		t.Error("an idle early backend was kept")
	}
	c.store("not a version", nil)
	if n := len(c.byBackend); n != maxBackends {
		t.Errorf("a malformed version changed the cache: %d entries", n)
	}
}

func versionFor(pid uint32) string {
	return strconv.FormatUint(uint64(pid), 10) + " start load"
}

// TestSettingsFollowAReload changes a harmless setting through ALTER SYSTEM
// and a reload, and expects the next scrape of the same connection to see it.
func TestSettingsFollowAReload(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx := testenv.Context(t, 30*time.Second)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: reset, then close.
	t.Cleanup(func() { admin.Close(context.Background()) })
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "ALTER SYSTEM RESET log_min_duration_statement"); err != nil {
			t.Errorf("reset: %v", err)
		}
		if _, err := admin.Exec(context.Background(), "SELECT pg_reload_conf()"); err != nil {
			t.Errorf("reload: %v", err)
		}
	})

	c := newTestCollector(t, Config{Name: "primary", DSN: secret.Secret(dsn), MaxConns: 1})
	server := map[string]string{"server": "primary"}
	scrape := func() float64 {
		t.Helper()
		got, err := scrapeOnce(ctx, t, c.Update)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		return got.mustValue(t, "pg_settings_log_min_duration_statement_seconds", server)
	}
	before := scrape()
	if again := scrape(); again != before {
		t.Fatalf("unchanged server: %v then %v", before, again)
	}

	if _, err := admin.Exec(ctx, "ALTER SYSTEM SET log_min_duration_statement = 987654"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		t.Fatal(err)
	}
	// The reload is a signal; backends apply it before their next command.
	var now float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if now = scrape(); now == 987.654 {
			break
		}
	}
	if now != 987.654 {
		t.Errorf("after ALTER SYSTEM and a reload: %v, want 987.654", now)
	}
}

// Concurrent scrapes use different connections, so each backend has its own
// settings version; every scrape must still report the settings.
func TestSettingsUnderConcurrentScrapes(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	c := newTestCollector(t, Config{Name: "primary", DSN: secret.Secret(dsn), MaxConns: 3})
	ctx := testenv.Context(t, 30*time.Second)
	type result struct {
		metrics []prometheus.Metric
		err     error
	}
	results := make(chan result, 12)
	for range 12 {
		go func() {
			metrics, err := collect(ctx, c.Update)
			results <- result{metrics, err}
		}()
	}
	for range 12 {
		r := <-results
		if r.err != nil {
			t.Error(r.err)
			continue
		}
		got, err := gather(r.metrics)
		if err != nil {
			t.Errorf("gather: %v", err)
			continue
		}
		if _, ok := got.value(t, "pg_settings_max_connections", map[string]string{"server": "primary"}); !ok {
			t.Error("a concurrent scrape lacks pg_settings_max_connections")
		}
	}
}
