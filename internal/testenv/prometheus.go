package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// PrometheusOptions configure Prometheus.
type PrometheusOptions struct {
	// Config is prometheus.yml's text ("" for a 15s global scrape interval
	// and nothing to scrape).
	Config string
	// Backfill, when set, is an OpenMetrics file promtool turns into TSDB
	// blocks before the server starts (history for range queries).
	Backfill string
	// Args are extra flags (e.g. --storage.tsdb.retention.time=60d).
	Args []string
}

// Prometheus runs Debian's real Prometheus (PROMETHEUS, default prometheus in
// PATH; PROMTOOL for a backfill) on a free loopback port until the test
// ends and returns its base URL once /-/ready answers. Its output is logged
// when the test fails.
func Prometheus(t testing.TB, o PrometheusOptions) string {
	t.Helper()
	bin := Tool(t, "PROMETHEUS", "prometheus")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ctx := Context(t, 5*time.Minute)
	if o.Backfill != "" {
		promtool := Tool(t, "PROMTOOL", "promtool")
		out, err := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", o.Backfill, data).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool backfill: %v\n%s", err, out)
		}
	}
	if o.Config == "" {
		o.Config = "global:\n  scrape_interval: 15s\n"
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(o.Config), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var logs syncBuffer
	// Not ctx: the server outlives this call and is killed at cleanup.
	cmd := exec.CommandContext(context.WithoutCancel(ctx), bin, append([]string{
		"--config.file=" + cfg, "--storage.tsdb.path=" + data, "--web.listen-address=" + addr}, o.Args...)...)
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
	if err := waitOK(ctx, url+"/-/ready"); err != nil {
		t.Fatalf("prometheus at %s not ready: %v\n%s", url, err, logs.String())
	}
	return url
}

func waitOK(ctx context.Context, url string) error {
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

// syncBuffer collects a child's output written from its own goroutines.
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
