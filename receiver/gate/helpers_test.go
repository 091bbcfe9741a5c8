package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/yamlx"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/sqlite"
)

// fakeProm answers instant queries with the values set per query; a query
// without a value gets an empty vector.
type fakeProm struct {
	*httptest.Server
	mu      sync.Mutex
	values  map[string][]float64
	delay   time.Duration
	queries atomic.Int64
}

func newFakeProm(t testing.TB) *fakeProm {
	p := &fakeProm{values: map[string][]float64{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		p.queries.Add(1)
		q := r.FormValue("query")
		p.mu.Lock()
		vals, delay := p.values[q], p.delay
		p.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		var result []string
		for i, v := range vals {
			result = append(result, fmt.Sprintf(`{"metric":{"i":"%d"},"value":[1700000000,"%g"]}`, i, v))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(result, ","))
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *fakeProm) set(q string, v ...float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.values[q] = v
}

// healthy sets every query of testGates to a passing value.
func (p *fakeProm) healthy() {
	p.set("errors", 0.01)
	p.set("latency", 0.2)
	p.set("cpu", 0.3)
	p.set("memory", 0.5)
	p.set("rps", 10)
}

const testGates = `
prometheus: {url: %s, timeout: 2s}
gates:
  - name: go-live
    alerts: ['service="checkout"']
    incidents: {at_or_above: P1}
    checks:
      - {name: error_rate, query: errors, op: ">", threshold: 0.05, on_breach: rollback, needs_traffic: true}
      - {name: avg_response_seconds, query: latency, op: ">", threshold: 3, needs_traffic: true}
      - {name: cpu, query: cpu, op: ">", threshold: 0.80}
      - {name: memory, query: memory, op: ">", threshold: 0.85}
    min_traffic: {query: rps, threshold: 1}
    token_file: %s
    min_interval: 1m
  - name: open
    alerts: ['severity="critical"']
`

const testToken = "s3cr3t-gate-token-7f1e"

func parseSection(t testing.TB, doc string) Section {
	t.Helper()
	var s Section
	if err := yamlx.Strict(strings.NewReader(doc), &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type fixture struct {
	svc   *Service
	store store.Store
	prom  *fakeProm
	clock *testClock
	logs  *syncBuffer
	mux   *http.ServeMux
}

func openStore(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newFixture(t testing.TB, st store.Store) *fixture {
	t.Helper()
	prom := newFakeProm(t)
	prom.healthy()
	tokenFile := filepath.Join(t.TempDir(), "gate.token")
	if err := os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st == nil {
		st = openStore(t)
	}
	f := &fixture{store: st, prom: prom, clock: &testClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}}
	svc, err := New(Options{
		Section: parseSection(t, fmt.Sprintf(testGates, prom.URL, tokenFile)), Store: st,
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	f.mux = http.NewServeMux()
	svc.Register(f.mux)
	return f
}

// do sends a request to the gate routes and returns status and body.
func (f *fixture) do(t testing.TB, method, target, body string, header ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func decodeDecision(t *testing.T, body string) Decision {
	t.Helper()
	var d Decision
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("not a decision: %v\n%s", err, body)
	}
	return d
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func yamlStrict(doc string, out any) error {
	if err := yamlx.Strict(strings.NewReader(doc), out); err != nil {
		return err
	}
	if s, ok := out.(*Section); ok {
		return s.Validate()
	}
	return nil
}
