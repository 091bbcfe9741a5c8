package exporter

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/exporter/collector"
	"github.com/prometheus/client_golang/prometheus"
)

// fake is a collector whose Update is a function.
type fake struct {
	name, target string
	update       func(ctx context.Context, ch chan<- prometheus.Metric) error
}

func (f fake) Name() string   { return f.name }
func (f fake) Target() string { return f.target }
func (f fake) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	return f.update(ctx, ch)
}

var fakeDesc = prometheus.NewDesc("golive_test_value", "A value reported by a test collector.", []string{"source"}, nil)

// constant reports golive_test_value{source=name} v.
func constant(name string, v float64) collector.Collector {
	return fake{name: "fake", target: name, update: func(ctx context.Context, ch chan<- prometheus.Metric) error {
		ch <- prometheus.MustNewConstMetric(fakeDesc, prometheus.GaugeValue, v, name)
		return nil
	}}
}

// hung ignores its context and never returns until the test ends.
func hung(t *testing.T) collector.Collector {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return fake{name: "hung", update: func(ctx context.Context, ch chan<- prometheus.Metric) error {
		<-done
		return nil
	}}
}

// testLogger logs into the test's output. Collectors abandoned at a deadline
// may log after the test ended, which t.Log forbids: those lines are dropped.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.ended = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t     *testing.T
	mu    sync.Mutex
	ended bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ended {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := writeFileErr(path, body); err != nil {
		t.Fatal(err)
	}
}

func writeFileErr(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }

// server is an App serving on 127.0.0.1:0 for one test.
type server struct {
	app        *App
	url        string
	configFile string
}

func start(t *testing.T, config string, extra ...collector.Collector) *server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exporter.yml")
	writeFile(t, path, config)
	app, err := newApp(Options{ConfigFile: path, Logger: testLogger(t), ShutdownTimeout: 5 * time.Second},
		func() []collector.Collector { return extra })
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return &server{app: app, url: "http://" + ln.Addr().String(), configFile: path}
}

// get fetches path with optional headers (key, value pairs) and returns the
// status and body.
func (s *server) do(t *testing.T, method, path string, headers ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func (s *server) get(t *testing.T, path string, headers ...string) (int, string) {
	t.Helper()
	code, body, _ := s.do(t, http.MethodGet, path, headers...)
	return code, body
}

// hasLine reports whether the exposition has a line starting with prefix.
func hasLine(body, prefix string) bool {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
