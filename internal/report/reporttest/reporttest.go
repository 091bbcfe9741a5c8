// Package reporttest serves synthetic metric history from a real Prometheus
// (Debian's /usr/bin/prometheus, backfilled with promtool) for the daily
// report's tests and benchmarks.
package reporttest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
)

// History is a set of series sampled every Interval.
type History struct {
	Interval time.Duration
	series   []series
}

type series struct {
	name, labels string
	from, to     time.Time
	value        func(t time.Time) (float64, bool)
}

// Add records a series from from (inclusive) to to (exclusive); value
// returns false where the series has no sample (a gap: the target was
// down, the alert was not firing).
func (h *History) Add(name, labels string, from, to time.Time, value func(t time.Time) (float64, bool)) {
	h.series = append(h.series, series{name, labels, from, to, value})
}

// Const is a value function returning v everywhere.
func Const(v float64) func(time.Time) (float64, bool) {
	return func(time.Time) (float64, bool) { return v, true }
}

// Write writes the history as OpenMetrics (each metric's series together,
// as promtool requires).
func (h *History) Write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ordered := make([]series, len(h.series))
	copy(ordered, h.series)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].name < ordered[j].name })
	buf := make([]byte, 0, 128)
	for _, s := range ordered {
		for t := s.from; t.Before(s.to); t = t.Add(h.Interval) {
			v, ok := s.value(t)
			if !ok {
				continue
			}
			buf = buf[:0]
			buf = append(buf, s.name...)
			buf = append(buf, '{')
			buf = append(buf, s.labels...)
			buf = append(buf, "} "...)
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, t.Unix(), 10)
			buf = append(buf, '\n')
			if _, err := w.Write(buf); err != nil {
				f.Close()
				return err
			}
		}
	}
	if _, err := w.WriteString("# EOF\n"); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// StartPrometheus backfills h with promtool and serves it with a real
// Prometheus on a free loopback port; it returns the base URL. Without the
// binaries the test skips, or fails under CI=true.
func StartPrometheus(t testing.TB, h *History) string {
	t.Helper()
	promtool := testenv.Tool(t, "PROMTOOL", "promtool")
	prometheus := testenv.Tool(t, "PROMETHEUS", "prometheus")
	dir := t.TempDir()
	om := filepath.Join(dir, "history.om")
	if err := h.Write(om); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	ctx := testenv.Context(t, 5*time.Minute)
	out, err := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", om, data).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool backfill: %v\n%s", err, out)
	}
	_ = os.Remove(om)
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 15s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var logs syncBuffer
	// Not ctx: the server outlives this call and is killed in Cleanup.
	cmd := exec.CommandContext(context.WithoutCancel(ctx), prometheus,
		"--config.file="+cfg,
		"--storage.tsdb.path="+data,
		"--storage.tsdb.retention.time=60d",
		"--web.listen-address="+addr,
		"--query.lookback-delta=5m",
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs.String())
		}
	})
	url := "http://" + addr
	if err := waitReady(ctx, url+"/-/ready"); err != nil {
		t.Fatalf("prometheus at %s not ready: %v\n%s", url, err, logs.String())
	}
	return url
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
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
