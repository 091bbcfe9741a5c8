// Package haproxytest starts Debian's real HAProxy for tests: a runtime API
// socket at level admin and one frontend per backend on a free loopback
// port. Rollout, remediation and end-to-end tests drive the same binary a
// user runs, and send real requests through it.
package haproxytest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/internal/testenv"
)

// Backend is one backend and the frontend in front of it.
type Backend struct {
	Name string
	// Mode is "http" (default) or "tcp" (e.g. PostgreSQL behind HAProxy).
	Mode    string
	Servers []Server
	// Extra lines for the backend section (e.g. "option allbackups").
	Extra []string
}

// Server is one server line.
type Server struct {
	Name   string
	Addr   string // host:port
	Weight int    // 0 is a valid weight; use -1 for HAProxy's default (1)
	Backup bool
	// Disabled starts the server in maintenance (`disabled`).
	Disabled bool
	// Check enables health checks (`check inter 500ms fall 1 rise 1`).
	Check bool
}

// Instance is a running HAProxy.
type Instance struct {
	// Socket is the runtime API address ("unix:/…/admin.sock").
	Socket string
	// Frontends maps a backend name to the loopback address that reaches it.
	Frontends map[string]string
	Client    *haproxy.Client
	// Config is the configuration file HAProxy was started with.
	Config string
}

// Start runs HAProxy with backends until the test ends. It fails (skips
// outside CI) when haproxy is not installed: GOLIVE_TEST_HAPROXY names the
// binary, default haproxy in PATH (Debian's package installs /usr/sbin/haproxy).
func Start(t testing.TB, backends ...Backend) *Instance {
	t.Helper()
	bin := testenv.Tool(t, "GOLIVE_TEST_HAPROXY", "haproxy")
	dir := t.TempDir()
	sock := filepath.Join(dir, "admin.sock")
	inst := &Instance{Socket: "unix:" + sock, Frontends: map[string]string{}}

	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global\n  stats socket %s mode 600 level admin\n  stats timeout 10s\n", sock)
	cfg.WriteString("defaults\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n")
	for _, b := range backends {
		mode := b.Mode
		if mode == "" {
			mode = "http"
		}
		addr := FreeAddr(t)
		inst.Frontends[b.Name] = addr
		fmt.Fprintf(&cfg, "frontend fe_%s\n  mode %s\n  bind %s\n  default_backend %s\n", b.Name, mode, addr, b.Name)
		fmt.Fprintf(&cfg, "backend %s\n  mode %s\n  balance roundrobin\n", b.Name, mode)
		for _, l := range b.Extra {
			fmt.Fprintf(&cfg, "  %s\n", l)
		}
		for _, s := range b.Servers {
			fmt.Fprintf(&cfg, "  server %s %s", s.Name, s.Addr)
			if s.Weight >= 0 {
				fmt.Fprintf(&cfg, " weight %d", s.Weight)
			}
			if s.Backup {
				cfg.WriteString(" backup")
			}
			if s.Disabled {
				cfg.WriteString(" disabled")
			}
			if s.Check {
				cfg.WriteString(" check inter 500ms fall 1 rise 1")
			}
			cfg.WriteString("\n")
		}
	}
	inst.Config = filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(inst.Config, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	// Killed at cleanup; the context only bounds a test that forgets to.
	cmd := exec.CommandContext(context.Background(), bin, "-db", "-f", inst.Config)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start haproxy: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("haproxy output:\n%s", out.String())
		}
	})

	client, err := haproxy.New(inst.Socket, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	inst.Client = client
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("haproxy exited at start:\n%s\nconfig:\n%s", out.String(), cfg.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := client.Command(ctx, "show info")
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy runtime API did not answer within 10s: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return inst
}

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Named starts an HTTP server that answers every request with name, for a
// backend whose share of the traffic Count measures; it returns host:port.
func Named(t testing.TB, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, name)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Count sends n requests through the frontend at addr, each on a new
// connection so round robin sees every one, and counts the answers by body
// (by status code for answers other than 200).
func Count(t testing.TB, addr string, n int) map[string]int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	got := map[string]int{}
	for range n {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+addr+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			got[fmt.Sprint(resp.StatusCode)]++
			continue
		}
		got[string(body)]++
	}
	return got
}
