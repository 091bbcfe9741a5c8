package exporter

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
)

const minimalConfig = `
modules:
  tcp_connect:
    prober: tcp
    timeout: 2s
`

func TestEndpoints(t *testing.T) {
	s := start(t, minimalConfig, constant("a", 1))
	tests := []struct {
		method, path string
		headers      []string
		code         int
		body         string // a substring the body must hold
	}{
		{"GET", "/-/healthy", nil, 200, "Healthy"},
		{"GET", "/-/ready", nil, 200, "Ready"},
		{"GET", "/-/reload", nil, 405, "POST"},
		{"GET", "/", nil, 200, `href="/metrics"`},
		{"GET", "/nope", nil, 404, ""},
		{"GET", "/metrics", nil, 200, `golive_test_value{source="a"} 1`},
		{"GET", "/metrics", []string{scrapeTimeoutHeader, "soon"}, 400, scrapeTimeoutHeader},
		{"GET", "/metrics", []string{scrapeTimeoutHeader, "-1"}, 400, "positive"},
		{"GET", "/probe?target=127.0.0.1:1", nil, 400, "module parameter is missing"},
		{"GET", "/probe?module=http_3xx&target=x", nil, 400, `unknown module "http_3xx"`},
		{"GET", "/probe?module=tcp_connect", nil, 400, "target parameter is missing"},
		{"GET", "/probe?module=tcp_connect&target=" + strings.Repeat("a", maxTargetLen+1), nil, 400, "longer than"},
		{"GET", "/probe?module=tcp_connect&target=127.0.0.1:1", []string{scrapeTimeoutHeader, "x"}, 400, scrapeTimeoutHeader},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path[:min(len(tt.path), 60)], func(t *testing.T) {
			code, body, hdr := s.do(t, tt.method, tt.path, tt.headers...)
			if code != tt.code {
				t.Errorf("status = %d, want %d; body: %.300s", code, tt.code, body)
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("body does not contain %q:\n%.500s", tt.body, body)
			}
			if code == http.StatusMethodNotAllowed && hdr.Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", hdr.Get("Allow"))
			}
		})
	}
}

func TestMetricsHoldsProcessAndScrapeMetrics(t *testing.T) {
	s := start(t, minimalConfig, constant("a", 1), constant("b", 2))
	code, body := s.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	for _, want := range []string{
		`golive_test_value{source="a"} 1`,
		`golive_test_value{source="b"} 2`,
		`golive_exporter_collector_success{collector="fake",target="a"} 1`,
		`golive_exporter_collector_duration_seconds{collector="fake",target="b"}`,
		`golive_exporter_config_last_reload_successful 1`,
		`golive_exporter_config_last_reload_success_timestamp_seconds`,
		`golive_build_info{`,
		`process_resident_memory_bytes`,
		`go_goroutines`,
	} {
		if !hasLine(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// A probe answers with exactly the prober's metrics: probe_success and
// probe_duration_seconds always, nothing from /metrics.
func TestProbeFreshRegistry(t *testing.T) {
	s := start(t, minimalConfig, constant("a", 1))
	code, body := s.get(t, "/probe?module=tcp_connect&target=127.0.0.1:1", scrapeTimeoutHeader, "3")
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if !hasLine(body, "probe_success 0") {
		t.Errorf("a refused TCP probe should report probe_success 0:\n%s", body)
	}
	if !hasLine(body, "probe_duration_seconds ") {
		t.Errorf("probe_duration_seconds missing:\n%s", body)
	}
	for _, absent := range []string{"golive_test_value", "go_goroutines", "golive_exporter_collector_success"} {
		if strings.Contains(body, absent) {
			t.Errorf("/probe must not hold %s:\n%s", absent, body)
		}
	}
}

func TestBoundedInFlight(t *testing.T) {
	s := start(t, minimalConfig)
	// Occupy every slot, as hung scrapes would.
	for range cap(s.app.inFlight) {
		s.app.inFlight <- struct{}{}
	}
	code, body := s.get(t, "/metrics")
	if code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503 with every slot taken; body %s", code, body)
	}
	for range cap(s.app.inFlight) {
		<-s.app.inFlight
	}
	if code, _ := s.get(t, "/metrics"); code != 200 {
		t.Errorf("status = %d after the slots freed, want 200", code)
	}
}

// Hung probe targets must not take /metrics down: in an outside run 24
// hung HTTP targets made /metrics answer 503 (a shared limit of 16).
func TestHungProbesLeaveMetricsAlone(t *testing.T) {
	const cfg = `
modules:
  http_hung:
    prober: http
    timeout: 2s
`
	s := start(t, cfg, constant("a", 1))
	target := "http://" + testenv.SilentListener(t) + "/"
	const probes = 24
	var wg sync.WaitGroup
	codes := make(chan int, probes)
	for range probes {
		wg.Go(func() {
			code, _ := s.get(t, "/probe?module=http_hung&target="+target)
			codes <- code
		})
	}
	// Wait until every probe is in flight, then scrape.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for len(s.app.probesInFlight) < probes && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(s.app.probesInFlight); n != probes {
		t.Fatalf("%d probes in flight, want %d", n, probes)
	}
	if code, body := s.get(t, "/metrics"); code != 200 || !hasLine(body, `golive_test_value{source="a"} 1`) {
		t.Errorf("/metrics with %d hung probes: status %d, body %.300s", probes, code, body)
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 {
			t.Errorf("a hung probe answered %d, want 200 (probe_success 0)", code)
		}
	}
}

// Beyond its limit /probe answers a failed probe, not a 503 that would
// blank the target in Prometheus; /metrics keeps its own slots.
func TestProbeLimitAnswersProbeSuccessZero(t *testing.T) {
	s := start(t, minimalConfig, constant("a", 1))
	for range cap(s.app.probesInFlight) {
		s.app.probesInFlight <- struct{}{}
	}
	code, body := s.get(t, "/probe?module=tcp_connect&target=127.0.0.1:1")
	if code != 200 || !hasLine(body, "probe_success 0") || !hasLine(body, "probe_duration_seconds 0") {
		t.Errorf("refused probe: status %d, body:\n%s", code, body)
	}
	if code, body := s.get(t, "/metrics"); code != 200 || !hasLine(body, "golive_exporter_probes_refused_total 1") {
		t.Errorf("/metrics with every probe slot taken: status %d, want 200 and one refused probe counted:\n%.2000s", code, body)
	}
	for range cap(s.app.probesInFlight) {
		<-s.app.probesInFlight
	}
	if cap(s.app.probesInFlight) < 100 {
		t.Errorf("probe limit %d is too small for a central prober", cap(s.app.probesInFlight))
	}
}

// golive answers the classic text format whatever the scraper prefers (the
// README says so): Prometheus 2.x asks for OpenMetrics first.
func TestClassicTextFormatEvenWhenOpenMetricsIsPreferred(t *testing.T) {
	s := start(t, minimalConfig, constant("a", 1))
	const prometheusAccept = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
	for _, path := range []string{"/metrics", "/probe?module=tcp_connect&target=127.0.0.1:1"} {
		code, body, hdr := s.do(t, "GET", path, "Accept", prometheusAccept)
		if ct := hdr.Get("Content-Type"); code != 200 || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("%s: status %d, Content-Type %q, want text/plain; version=0.0.4", path, code, ct)
		}
		if strings.Contains(body, "# EOF") {
			t.Errorf("%s: the body is OpenMetrics", path)
		}
	}
}

// /probe of a hung Redis or PostgreSQL answers within Prometheus's timeout
// and carries redis_up 0 / pg_up 0, as their exporters' answers do.
func TestProbeOfHungBackendCarriesUp(t *testing.T) {
	const cfg = `
modules:
  redis_hung: {prober: redis, timeout: 30s}
  pg_hung: {prober: postgres, timeout: 30s, postgres: {sslmode: disable}}
`
	s := start(t, cfg)
	target := testenv.SilentListener(t)
	for module, up := range map[string]string{"redis_hung": "redis_up 0", "pg_hung": "pg_up 0"} {
		for range 3 {
			began := time.Now()
			code, body := s.get(t, "/probe?module="+module+"&target="+target, scrapeTimeoutHeader, "1")
			if took := time.Since(began); code != 200 || took > 1500*time.Millisecond {
				t.Fatalf("%s: status %d after %s", module, code, took)
			}
			if !hasLine(body, up) || !hasLine(body, "probe_success 0") {
				t.Fatalf("%s: the answer lacks %q:\n%s", module, up, body)
			}
		}
	}
}
