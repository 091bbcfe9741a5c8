package prober

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/golive-ops/golive/exporter/collector"
)

// asPrometheusCollector registers a golive collector the way the runner
// does: unchecked (no Describe), Update under a deadline.
type asPrometheusCollector struct {
	c       collector.Collector
	timeout time.Duration
	err     error
}

func (a *asPrometheusCollector) Describe(chan<- *prometheus.Desc) {}

func (a *asPrometheusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), a.timeout)
	defer cancel()
	a.err = a.c.Update(ctx, ch)
}

func scrape(t *testing.T, c collector.Collector, timeout time.Duration) (map[string]float64, error) {
	t.Helper()
	adapter := &asPrometheusCollector{c: c, timeout: timeout}
	registry := prometheus.NewRegistry()
	registry.MustRegister(adapter)
	return gathered(t, registry), adapter.err
}

func TestCollectorLabelsEveryMetric(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	logger, _ := testLogger(t)
	c := NewCollector("http_2xx", httpModule(), srv.URL, logger)
	if c.Name() != "probe" || c.Target() != srv.URL {
		t.Fatalf("Name, Target = %q, %q", c.Name(), c.Target())
	}

	got, err := scrape(t, c, 5*time.Second)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	labels := fmt.Sprintf(`module="http_2xx",target="%s"`, srv.URL)
	wantSeries(t, got, map[string]float64{
		"probe_success{" + labels + "}":          1,
		"probe_http_status_code{" + labels + "}": 200,
	})
	phase := `probe_http_duration_seconds{module="http_2xx",phase="connect",target="` + srv.URL + `"}`
	if _, ok := got[phase]; !ok {
		t.Errorf("%s missing: labels not merged", phase)
	}
	for series := range got {
		if !strings.Contains(series, `module="http_2xx"`) || !strings.Contains(series, `target="`+srv.URL+`"`) {
			t.Errorf("series %s lacks the module and target labels", series)
		}
	}
	if len(got) < 15 {
		t.Errorf("only %d series; the http probe's metrics were not all re-emitted", len(got))
	}
}

func TestCollectorHelpMatchesProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	logger, _ := testLogger(t)
	adapter := &asPrometheusCollector{c: NewCollector("m", httpModule(), srv.URL, logger), timeout: 5 * time.Second}
	registry := prometheus.NewRegistry()
	registry.MustRegister(adapter)
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "probe_success" && (f.GetHelp() != probeSuccessOpts.Help || f.GetType() != dto.MetricType_GAUGE) {
			t.Errorf("probe_success help %q type %v", f.GetHelp(), f.GetType())
		}
	}
}

func TestCollectorTimeoutStillReportsFailure(t *testing.T) {
	srv := hangingServer(t)
	logger, _ := testLogger(t)
	c := NewCollector("http_2xx", httpModule(), srv.URL, logger)

	start := time.Now()
	got, err := scrape(t, c, 200*time.Millisecond)
	if elapsed := time.Since(start); elapsed > 5*time.Second { // the module allows 10s
		t.Fatalf("scrape took %v past a 200ms deadline", elapsed)
	}
	if err == nil {
		t.Error("Update returned no error though the scrape's deadline cut the probe")
	}
	wantSeries(t, got, map[string]float64{
		fmt.Sprintf(`probe_success{module="http_2xx",target="%s"}`, srv.URL): 0,
	})
}

func TestCollectorModuleTimeoutIsNotAnError(t *testing.T) {
	srv := hangingServer(t)
	logger, _ := testLogger(t)
	module := httpModule()
	module.Timeout = 100 * time.Millisecond
	got, err := scrape(t, NewCollector("short", module, srv.URL, logger), 5*time.Second)
	if err != nil {
		t.Errorf("Update: %v; a probe failing within its own timeout is reported by probe_success alone", err)
	}
	wantSeries(t, got, map[string]float64{
		fmt.Sprintf(`probe_success{module="short",target="%s"}`, srv.URL): 0,
	})
}

func TestCollectorRedactsTargetPassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, _ := r.BasicAuth(); pass != "pw-in-url" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	target := strings.Replace(srv.URL, "http://", "http://ops:pw-in-url@", 1)
	logger, logs := testLogger(t)
	c := NewCollector("m", httpModule(), target, logger)
	got, _ := scrape(t, c, 5*time.Second)

	shown := strings.Replace(srv.URL, "http://", "http://ops:xxxxx@", 1)
	if c.Target() != shown {
		t.Errorf("Target() = %q, want %q", c.Target(), shown)
	}
	// The probe itself used the password: it succeeded.
	wantSeries(t, got, map[string]float64{fmt.Sprintf(`probe_success{module="m",target="%s"}`, shown): 1})
	for series := range got {
		if strings.Contains(series, "pw-in-url") {
			t.Fatalf("series %s shows the password", series)
		}
	}
	if strings.Contains(logs.String(), "pw-in-url") {
		t.Fatalf("logs show the password:\n%s", logs)
	}
}

func TestMergeLabels(t *testing.T) {
	pairs := func(names ...string) []*dto.LabelPair {
		var out []*dto.LabelPair
		for _, n := range names {
			name, value, _ := strings.Cut(n, "=")
			out = append(out, &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)})
		}
		return out
	}
	extra := pairs("module=m", "target=t")
	tests := []struct {
		in, want []string
	}{
		{nil, []string{"module=m", "target=t"}},
		{[]string{"phase=tls"}, []string{"module=m", "phase=tls", "target=t"}},
		{[]string{"a=1", "z=2"}, []string{"a=1", "module=m", "target=t", "z=2"}},
		{[]string{"cipher=x", "version=y"}, []string{"cipher=x", "module=m", "target=t", "version=y"}},
		{[]string{"target=probed-own"}, []string{"module=m", "target=t"}},
	}
	for _, tt := range tests {
		var got []string
		for _, l := range mergeLabels(nil, pairs(tt.in...), extra) {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("mergeLabels(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// probeLikeRegistry fills a registry like one http probe over TLS does.
func probeLikeRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	for _, name := range []string{"probe_success", "probe_duration_seconds", "probe_http_status_code",
		"probe_http_content_length", "probe_http_uncompressed_body_length", "probe_http_redirects",
		"probe_http_ssl", "probe_http_version", "probe_failed_due_to_regex", "probe_ip_protocol",
		"probe_ip_addr_hash", "probe_dns_lookup_time_seconds", "probe_ssl_earliest_cert_expiry",
		"probe_ssl_last_chain_expiry_timestamp_seconds"} {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: name + " help"})
		g.Set(1)
		r.MustRegister(g)
	}
	phases := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "probe_http_duration_seconds", Help: "h"}, []string{"phase"})
	for _, p := range httpPhases {
		phases.WithLabelValues(p).Set(0.01)
	}
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "probe_ssl_last_chain_info", Help: "h"}, sslLastChainInfoLabels)
	info.WithLabelValues("ab12", "CN=x", "CN=ca", "x.example", "01").Set(1)
	r.MustRegister(phases, info)
	return r
}

func drain(ch chan prometheus.Metric) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// BenchmarkRelabel measures re-emitting a probe's metrics with module and
// target labels, the collector's own cost per probe and scrape.
func BenchmarkRelabel(b *testing.B) {
	c := NewCollector("http_2xx", Module{}, "https://example.com/health", slog.New(slog.DiscardHandler)).(*probeCollector)
	registry := probeLikeRegistry()
	ch := make(chan prometheus.Metric, 64)
	out := &dto.Metric{}
	b.ReportAllocs()
	for b.Loop() {
		families, _ := registry.Gather()
		c.emit(families, ch)
		for range len(ch) {
			(<-ch).Write(out)
		}
	}
}

// BenchmarkRelabelConstMetric is the obvious alternative, for comparison:
// a fresh Desc and const metric per series.
func BenchmarkRelabelConstMetric(b *testing.B) {
	registry := probeLikeRegistry()
	ch := make(chan prometheus.Metric, 64)
	out := &dto.Metric{}
	b.ReportAllocs()
	for b.Loop() {
		families, _ := registry.Gather()
		for _, f := range families {
			for _, m := range f.Metric {
				names := []string{"module", "target"}
				values := []string{"http_2xx", "https://example.com/health"}
				for _, l := range m.Label {
					names = append(names, l.GetName())
					values = append(values, l.GetValue())
				}
				desc := prometheus.NewDesc(f.GetName(), f.GetHelp(), names, nil)
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, m.GetGauge().GetValue(), values...)
			}
		}
		for range len(ch) {
			(<-ch).Write(out)
		}
	}
}

// BenchmarkCollectorUpdate is one whole probe of a local endpoint.
func BenchmarkCollectorUpdate(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := NewCollector("http_2xx", httpModule(), srv.URL, slog.New(slog.DiscardHandler))
	ch := make(chan prometheus.Metric, 64)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Update(context.Background(), ch); err != nil {
			b.Fatal(err)
		}
		drain(ch)
	}
}
