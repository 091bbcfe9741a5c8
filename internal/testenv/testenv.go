// Package testenv finds the real servers and tools integration tests need.
//
// Each finder reads an environment variable with a default that matches the
// development machines. When the server or tool is missing, the test is
// skipped with a message saying how to provide it, except under CI=true,
// where a missing dependency fails the test: CI must never pass by skipping.
package testenv

import (
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1" || v == "yes"
}

// Unavailable skips the test outside CI and fails it in CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true and a required test dependency is missing: "+format, args...)
	}
	t.Skipf("skipping: "+format, args...)
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func reachable(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// PostgresDSN returns a DSN for a reachable PostgreSQL server
// (GOLIVE_TEST_POSTGRES_DSN, default the local server's test database).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := getenv("GOLIVE_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("GOLIVE_TEST_POSTGRES_DSN: %v", err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	if err := reachable(host); err != nil {
		Unavailable(t, "PostgreSQL at %s is not reachable (%v); start it with `pg_ctlcluster 15 main start` or set GOLIVE_TEST_POSTGRES_DSN", host, err)
	}
	return dsn
}

// RedisAddr returns host:port of a reachable Redis server
// (GOLIVE_TEST_REDIS_ADDR, default 127.0.0.1:6379).
func RedisAddr(t testing.TB) string {
	t.Helper()
	addr := getenv("GOLIVE_TEST_REDIS_ADDR", "127.0.0.1:6379")
	if err := reachable(addr); err != nil {
		Unavailable(t, "Redis at %s is not reachable (%v); start it with `redis-server --daemonize yes --bind 127.0.0.1` or set GOLIVE_TEST_REDIS_ADDR", addr, err)
	}
	return addr
}

// Tool returns the path of an executable (promtool, prometheus,
// alertmanager, npx), looked up in env var key first, then in PATH.
func Tool(t testing.TB, key, name string) string {
	t.Helper()
	if p := os.Getenv(key); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "%s not found in PATH (install Debian's package, or set %s)", name, key)
	}
	return p
}

// Context returns a context cancelled when the test ends or after d.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// SilentListener returns the address of a TCP listener on 127.0.0.1 that
// accepts connections and never sends a byte: a database or server hung on
// I/O, for proving deadlines. Everything is closed when the test ends.
func SilentListener(t testing.TB) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed at cleanup
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}
