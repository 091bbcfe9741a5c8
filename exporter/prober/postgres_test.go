package prober

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	pgc "github.com/golive-ops/golive/exporter/collector/postgres"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
)

func TestParsePostgresTarget(t *testing.T) {
	for _, tc := range []struct {
		target            string
		host              string
		port              int
		database, sslmode string
		wantErr           string
	}{
		{target: "db.example:6432", host: "db.example", port: 6432},
		{target: "db.example", host: "db.example", port: 5432},
		{target: "10.0.0.5", host: "10.0.0.5", port: 5432},
		{target: "[::1]:5433", host: "::1", port: 5433},
		{target: "::1", host: "::1", port: 5432},
		{target: "postgres://db.example:6432/app?sslmode=require", host: "db.example", port: 6432, database: "app", sslmode: "require"},
		{target: "postgresql://db.example", host: "db.example", port: 5432},
		{target: "postgres://mon:hunter2@db.example/app", wantErr: "credentials belong in the module"},
		{target: "postgres://mon@db.example/app", wantErr: "credentials belong in the module"},
		{target: "postgres://db.example/app?password=x", wantErr: `query parameter "password" is not supported`},
		{target: "postgres://db.example/app?sslmode=sometimes", wantErr: `sslmode "sometimes"`},
		{target: "mysql://db.example", wantErr: `scheme "mysql"`},
		{target: "db.example:http", wantErr: `port "http"`},
		{target: "db.example:0", wantErr: `port "0"`},
		{target: "", wantErr: "no host"},
		{target: "postgres:///app", wantErr: "no host"},
		{target: "/var/run/postgresql", wantErr: "is not a host name"},
	} {
		host, port, database, sslmode, err := parsePostgresTarget(tc.target)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err = %v, want %q", tc.target, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%q: error leaks the password: %v", tc.target, err)
			}
			continue
		}
		if err != nil || host != tc.host || port != tc.port || database != tc.database || sslmode != tc.sslmode {
			t.Errorf("%q = %q %d %q %q, %v", tc.target, host, port, database, sslmode, err)
		}
	}
}

func TestPostgresModuleConfig(t *testing.T) {
	for _, tc := range []struct{ yaml, wantErr string }{
		{"prober: postgres\npostgres: {user: mon, password: pw, database: app, sslmode: require}", ""},
		{"prober: postgres\npostgres: {password: a, password_file: /x}", "postgres.password_file"},
		{"prober: postgres\npostgres: {sslmode: sometimes}", `postgres.sslmode: "sometimes" is not one of`},
		{"prober: postgres\npostgres: {usr: mon}", "usr"},
	} {
		var m Module
		dec := yaml.NewDecoder(strings.NewReader(tc.yaml))
		dec.KnownFields(true)
		err := dec.Decode(&m)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.yaml, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.wantErr)
		}
	}
}

// postgresModule points the module at the test server's credentials and
// returns it with the server's host:port target.
func postgresModule(t *testing.T) (Module, string) {
	t.Helper()
	u, err := url.Parse(testenv.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	p := PostgresProbe{User: u.User.Username(), Database: strings.TrimPrefix(u.Path, "/"), SSLMode: u.Query().Get("sslmode")}
	if pw != "" {
		p.Password = secret.Secret(pw)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	return Module{Prober: "postgres", Timeout: 5 * time.Second, Postgres: p}, host
}

func gatherProbe(t *testing.T, registry *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range families {
		out[f.GetName()] = f
	}
	return out
}

func TestProbePostgresAnswersLikePostgresExporter(t *testing.T) {
	module, target := postgresModule(t)
	for i := 0; i < 2; i++ {
		registry := prometheus.NewPedanticRegistry()
		ok := Run(testenv.Context(t, 10*time.Second), target, module, registry, slog.New(slog.DiscardHandler))
		if !ok {
			t.Fatalf("probe %d failed", i)
		}
		got := gatherProbe(t, registry)
		up := got["pg_up"]
		if up == nil || up.GetMetric()[0].GetGauge().GetValue() != 1 || len(up.GetMetric()[0].GetLabel()) != 0 {
			t.Fatalf("pg_up = %v, want 1 without labels", up)
		}
		if got["probe_success"].GetMetric()[0].GetGauge().GetValue() != 1 {
			t.Error("probe_success != 1")
		}
		for _, name := range []string{"pg_stat_database_xact_commit", "pg_database_size_bytes", "pg_settings_max_connections", "pg_stat_activity_count"} {
			f := got[name]
			if f == nil {
				t.Errorf("%s missing", name)
				continue
			}
			for _, l := range f.GetMetric()[0].GetLabel() {
				if l.GetName() == "server" {
					t.Errorf("%s has a server label on /probe", name)
				}
			}
		}
	}
	// The second probe reused the first one's pool.
	cfg, err := module.Postgres.collectorConfig(target, module.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	c, release, err := acquirePostgres(postgresTargets, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if n := c.Pool().Stat().NewConnsCount(); n != 1 {
		t.Errorf("two probes opened %d connections, want 1", n)
	}
}

func TestProbePostgresHungTargetFailsByTheDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, never answer
		}
	}()
	module := Module{Prober: "postgres", Timeout: 30 * time.Second, Postgres: PostgresProbe{SSLMode: "disable"}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	registry := prometheus.NewRegistry()
	start := time.Now()
	if ProbePostgres(ctx, ln.Addr().String(), module, registry, slog.New(slog.DiscardHandler)) {
		t.Fatal("probe of a hung server succeeded")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second { // the module allows 30s
		t.Errorf("probe took %v with a 300ms deadline", elapsed)
	}
	if v := gatherProbe(t, registry)["pg_up"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
		t.Errorf("pg_up = %v", v)
	}
}

func TestProbePostgresRejectsCredentialsInTheTarget(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	registry := prometheus.NewRegistry()
	ok := ProbePostgres(context.Background(), "postgres://mon:hunter2@127.0.0.1/app", Module{Prober: "postgres"}, registry, logger)
	if ok {
		t.Fatal("probe with credentials in the target succeeded")
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Errorf("log leaks the password: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "credentials belong in the module") {
		t.Errorf("log does not say why: %s", logs.String())
	}
	if v := gatherProbe(t, registry)["pg_up"].GetMetric()[0].GetGauge().GetValue(); v != 0 {
		t.Errorf("pg_up = %v", v)
	}
}

func TestPostgresTargetCacheIsBounded(t *testing.T) {
	cache := newTargetCache[*pgc.Collector](2, time.Hour)
	logger := slog.New(slog.DiscardHandler)
	cfg := func(host string) pgc.Config {
		c := pgc.DefaultConfig
		c.Name, c.Host = host, host
		return c
	}
	var releases []func()
	for _, h := range []string{"a.invalid", "b.invalid"} {
		_, release, err := acquirePostgres(cache, cfg(h), logger)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	// Both in use: a third target may exceed the cap rather than close a
	// pool under a running probe.
	_, release, err := acquirePostgres(cache, cfg("c.invalid"), logger)
	if err != nil {
		t.Fatal(err)
	}
	release()
	for _, r := range releases {
		r()
	}
	_, release, err = acquirePostgres(cache, cfg("d.invalid"), logger)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if n := cache.len(); n != 2 {
		t.Errorf("cache holds %d pools, want 2 (the cap) once the others are idle", n)
	}

	// Idle pools are closed on the next acquire.
	cache.idle = 0
	time.Sleep(time.Millisecond)
	_, release, err = acquirePostgres(cache, cfg("e.invalid"), logger)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if n := cache.len(); n != 1 {
		t.Errorf("cache holds %d pools after the others idled out, want 1", n)
	}
}
