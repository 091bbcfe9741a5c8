package gate

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/testenv"
)

// benchChecks are four checks shaped like runbook R2.1's (a ratio, an
// average, a rate and a gauge) over the metrics Prometheus exports about
// itself, so a real Prometheus has data for them after a few scrapes.
const benchChecks = `
gates:
  - name: bench
    checks:
      - {name: error_rate, query: '(sum(rate(prometheus_http_requests_total{code=~"5.."}[1m])) or vector(0)) / sum(rate(prometheus_http_requests_total[1m]))', op: ">", threshold: 0.05, on_breach: rollback}
      - {name: avg_response_seconds, query: 'sum(rate(prometheus_http_request_duration_seconds_sum[1m])) / sum(rate(prometheus_http_request_duration_seconds_count[1m]))', op: ">", threshold: 3}
      - {name: cpu, query: 'max(rate(process_cpu_seconds_total[1m]))', op: ">", threshold: 0.8}
      - {name: memory, query: 'max(process_resident_memory_bytes) / 1e10', op: ">", threshold: 0.85}
    min_interval: %s
`

// benchProm is one Prometheus shared by every benchmark run of the
// process (the framework calls a benchmark several times to size b.N);
// TestMain stops it.
var benchProm struct {
	once sync.Once
	url  string
	cmd  *exec.Cmd
	dir  string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if c := benchProm.cmd; c != nil {
		_ = c.Process.Kill()
		_ = c.Wait()
		_ = os.RemoveAll(benchProm.dir)
	}
	os.Exit(code)
}

func sharedPrometheus(b *testing.B) string {
	b.Helper()
	benchProm.once.Do(func() { benchProm.url = startPrometheus(b) })
	if benchProm.url == "" {
		b.Fatal("prometheus did not start (see the first benchmark's log)")
	}
	return benchProm.url
}

// startPrometheus runs Debian's prometheus on a free port scraping itself
// every second, and waits until every bench query has data.
func startPrometheus(b *testing.B) string {
	b.Helper()
	bin := testenv.Tool(b, "PROMETHEUS", "prometheus")
	dir, err := os.MkdirTemp("", "golive-gate-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchProm.dir = dir
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := filepath.Join(dir, "prometheus.yml")
	scrape := fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: prometheus\n    static_configs: [{targets: ['%s']}]\n", addr)
	if err := os.WriteFile(cfg, []byte(scrape), 0o600); err != nil {
		b.Fatal(err)
	}
	var logs syncBuffer
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	benchProm.cmd = cmd
	url := "http://" + addr
	client, err := promclient.New(promclient.Options{URL: url, Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx := testenv.Context(b, 90*time.Second)
	for _, q := range []string{"sum(rate(prometheus_http_requests_total[1m]))", "max(rate(process_cpu_seconds_total[1m]))",
		"sum(rate(prometheus_http_request_duration_seconds_count[1m]))"} {
		for {
			if pts, _, err := client.Query(ctx, q, time.Time{}); err == nil && len(pts) > 0 && pts[0].Value > 0 {
				break
			}
			select {
			case <-ctx.Done():
				b.Fatalf("prometheus at %s has no data for %s:\n%s", url, q, logs.String())
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return url
}

func benchService(b *testing.B, promURL, minInterval string) *Service {
	b.Helper()
	var s Section
	doc := "prometheus: {url: " + promURL + ", timeout: 5s}\n" + fmt.Sprintf(benchChecks, minInterval)
	if err := yamlStrict(doc, &s); err != nil {
		b.Fatal(err)
	}
	svc, err := New(Options{Section: s, Store: openStore(b), Allowed: func(*http.Request) bool { return true }})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

// BenchmarkGateEvaluateUncached: one full evaluation per op (four instant
// queries against a real Prometheus, run concurrently, then the decision
// stored in SQLite). Reports p50/p99 latency; the target is p99 <= 50 ms.
func BenchmarkGateEvaluateUncached(b *testing.B) {
	svc := benchService(b, sharedPrometheus(b), "1ms")
	svc.gates["bench"].cfg.MinInterval = 0 // every call evaluates
	ctx := context.Background()
	if d, err := svc.Evaluate(ctx, "bench"); err != nil || d.Decision != engine.Proceed {
		b.Fatalf("bench gate does not proceed on a healthy Prometheus: %v %v %q", err, d.Decision, d.Reasons)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := svc.Evaluate(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkGateCachedHTTP: GET /api/v1/gates/{name} within min_interval,
// from parallel callers, answered from the cached decision (JSON encoded
// per request). The target is >= 1,000 decisions/s.
func BenchmarkGateCachedHTTP(b *testing.B) {
	svc := benchService(b, sharedPrometheus(b), "1h")
	mux := http.NewServeMux()
	svc.Register(mux)
	if _, err := svc.Evaluate(context.Background(), "bench"); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/gates/bench", nil))
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"decision":"proceed"`) {
				b.Errorf("cached answer: %d %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decisions/s")
}
