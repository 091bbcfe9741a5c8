package exporter

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/golive-ops/golive/internal/testenv"
)

// BenchmarkMetricsScrape is one /metrics request through the handler, with
// host, the real PostgreSQL and Redis and an HTTP probe configured: the
// in-process part of what scripts/bench-exporter.sh measures.
func BenchmarkMetricsScrape(b *testing.B) {
	dsn := testenv.PostgresDSN(b)
	redisAddr := testenv.RedisAddr(b)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	b.Cleanup(target.Close)
	path := filepath.Join(b.TempDir(), "exporter.yml")
	config := fmt.Sprintf(`
host: {enabled: true}
postgres: [{name: primary, dsn: %q}]
redis: [{name: main, address: %q}]
modules: {http_2xx: {prober: http, timeout: 5s}}
probes: [{module: http_2xx, targets: [%q]}]
`, dsn, redisAddr, target.URL)
	if err := writeFileErr(path, config); err != nil {
		b.Fatal(err)
	}
	app, err := New(Options{ConfigFile: path})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(app.Close)
	h := app.Handler()
	// Text without compression, then what Prometheus 2.x asks for (its
	// Accept list, OpenMetrics first, and gzip), as scripts/bench-exporter.sh.
	for _, c := range []struct{ name, accept, encoding string }{
		{"text", "", ""},
		{"prometheus", prometheusAccept, "gzip"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set(scrapeTimeoutHeader, "10")
				if c.accept != "" {
					req.Header.Set("Accept", c.accept)
					req.Header.Set("Accept-Encoding", c.encoding)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				io.Copy(io.Discard, rec.Body)
			}
		})
	}
}

// prometheusAccept is Prometheus 2.x's scrape Accept header.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
