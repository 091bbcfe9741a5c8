package prober

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/golive-ops/golive/internal/testenv"
)

// gathered indexes a registry's metrics as "name{l1="v1",...}" → value.
func gathered(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.Metric {
			out[seriesKey(f.GetName(), m.Label)] = metricValue(m)
		}
	}
	return out
}

func seriesKey(name string, labels []*dto.LabelPair) string {
	if len(labels) == 0 {
		return name
	}
	parts := make([]string, 0, len(labels))
	for _, l := range labels {
		parts = append(parts, l.GetName()+"="+`"`+l.GetValue()+`"`)
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	default:
		return m.Untyped.GetValue()
	}
}

// wantSeries fails the test unless each series has the given value.
func wantSeries(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("series %s missing; have %v", k, keys(got))
			continue
		}
		if g != v {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func testLogger(t *testing.T) (*slog.Logger, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// hangingServer answers nothing until the client gives up or the test ends.
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv
}

func httpModule() Module {
	return Module{Prober: "http", Timeout: DefaultTimeout, HTTP: DefaultHTTPProbe()}
}

func TestRunSuccess(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	logger, _ := testLogger(t)
	registry := prometheus.NewRegistry()

	if !Run(context.Background(), srv.URL, httpModule(), registry, logger) {
		t.Fatal("Run = false against a 200 server")
	}
	got := gathered(t, registry)
	wantSeries(t, got, map[string]float64{"probe_success": 1, "probe_http_status_code": 200})
	if d := got["probe_duration_seconds"]; d <= 0 || d > 5 {
		t.Errorf("probe_duration_seconds = %v, want a small positive duration", d)
	}
}

func TestRunUnknownProberStillReports(t *testing.T) {
	logger, _ := testLogger(t)
	registry := prometheus.NewRegistry()
	if Run(context.Background(), "x", Module{Prober: "nope"}, registry, logger) {
		t.Fatal("Run = true for an unknown prober")
	}
	got := gathered(t, registry)
	wantSeries(t, got, map[string]float64{"probe_success": 0})
	if _, ok := got["probe_duration_seconds"]; !ok {
		t.Error("probe_duration_seconds missing")
	}
}

func TestRunTimesOutOnModuleTimeout(t *testing.T) {
	srv := hangingServer(t)
	logger, _ := testLogger(t)
	registry := prometheus.NewRegistry()
	module := httpModule()
	module.Timeout = 200 * time.Millisecond

	start := time.Now()
	if Run(context.Background(), srv.URL, module, registry, logger) {
		t.Fatal("Run = true against a hanging server")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("Run took %v, want about the 200ms module timeout", elapsed)
	}
	got := gathered(t, registry)
	wantSeries(t, got, map[string]float64{"probe_success": 0})
	if d := got["probe_duration_seconds"]; d < 0.2 {
		t.Errorf("probe_duration_seconds = %v, want >= the 0.2s timeout", d)
	}
}

// A prober that ignores its context must not hold Run past the deadline.
func TestRunDoesNotWaitForStuckProber(t *testing.T) {
	release := make(chan struct{})
	Probers["stuck"] = func(ctx context.Context, _ string, _ Module, _ *prometheus.Registry, _ *slog.Logger) bool {
		<-release
		return true
	}
	t.Cleanup(func() { close(release); delete(Probers, "stuck") })

	logger, logs := testLogger(t)
	registry := prometheus.NewRegistry()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if Run(ctx, "x", Module{Prober: "stuck"}, registry, logger) {
		t.Fatal("Run = true for a prober that never returned")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("Run took %v past a 100ms deadline", elapsed)
	}
	wantSeries(t, gathered(t, registry), map[string]float64{"probe_success": 0})
	if !strings.Contains(logs.String(), "did not return by its deadline") {
		t.Errorf("no warning about the stuck prober in logs:\n%s", logs)
	}
}

// A hung Redis or PostgreSQL ends the prober a margin before the answer's
// deadline, so the answer Run leaves always holds redis_up 0 / pg_up 0, as
// redis_exporter's and postgres_exporter's do, never just probe_success.
func TestRunHungServersAnswerWithTheirUpMetric(t *testing.T) {
	addr := testenv.SilentListener(t)
	for _, tc := range []struct {
		module Module
		up     string
	}{
		{Module{Prober: "redis", Timeout: 30 * time.Second}, "redis_up"},
		{Module{Prober: "postgres", Timeout: 30 * time.Second, Postgres: PostgresProbe{SSLMode: "disable"}}, "pg_up"},
	} {
		t.Run(tc.module.Prober, func(t *testing.T) {
			for range 5 { // the old fault was a race: try it more than once
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				reg := prometheus.NewRegistry()
				start := time.Now()
				ok := Run(ctx, addr, tc.module, reg, slog.New(slog.DiscardHandler))
				took := time.Since(start)
				cancel()
				got := gathered(t, reg)
				if ok || took > 2*time.Second {
					t.Fatalf("ok = %v after %s, want a failure by the 300ms deadline", ok, took)
				}
				if v, has := got[tc.up]; !has || v != 0 {
					t.Fatalf("%s = %v (present %v) in the answer, want 0: %v", tc.up, v, has, got)
				}
				if v, has := got["probe_success"]; !has || v != 0 {
					t.Fatalf("probe_success = %v (present %v), want 0", v, has)
				}
			}
		})
	}
}
