package exporter

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/cli"
)

// SIGHUP reaches Command, which reloads; a bad file keeps the old config
// and is reported by the reload metric. Cancelling ctx shuts down cleanly.
func TestCommandReloadsOnSIGHUPAndStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exporter.yml")
	writeFile(t, path, configA)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // Command listens itself; the port is free again

	// Command sets GOMAXPROCS for the whole process: pick a value other
	// than the current one, to see it applied, and restore it afterwards.
	procs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	want := procs + 1

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr strings.Builder
	exited := make(chan int, 1)
	go func() {
		exited <- Command(ctx, cli.Env{
			Args: []string{"--config.file=" + path, "--web.listen-address=" + addr, "--log.level=error",
				"--runtime.gomaxprocs=" + strconv.Itoa(want)},
			Stdout: &strings.Builder{}, Stderr: &stderr,
		})
	}()
	s := &server{url: "http://" + addr}
	waitFor(t, func() bool {
		resp, err := http.Get(s.url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if got := runtime.GOMAXPROCS(0); got != want {
		t.Errorf("GOMAXPROCS = %d while serving, want %d from --runtime.gomaxprocs", got, want)
	}

	writeFile(t, path, "modules: [not, a, mapping]\n")
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, body := s.get(t, "/metrics")
		return hasLine(body, "golive_exporter_config_last_reload_successful 0")
	})
	if code, _ := s.get(t, "/probe?module=mod_a&target=127.0.0.1:1"); code != 200 {
		t.Errorf("old config not serving after a failed SIGHUP reload: %d", code)
	}

	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit code %d after shutdown; stderr: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Command did not return after ctx was cancelled")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCommandRejectsZeroMaxProcs(t *testing.T) {
	var stderr strings.Builder
	code := Command(t.Context(), cli.Env{Args: []string{"--runtime.gomaxprocs=0"}, Stdout: &strings.Builder{}, Stderr: &stderr})
	if code != 2 || !strings.Contains(stderr.String(), "--runtime.gomaxprocs must be at least 1") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestMaxProcsDefaultFollowsTheEnvironment(t *testing.T) {
	for env, want := range map[string]int{"": defaultMaxProcs, "4": 4, "0": defaultMaxProcs, "x": defaultMaxProcs} {
		t.Setenv("GOMAXPROCS", env)
		if got := maxProcsDefault(); got != want {
			t.Errorf("GOMAXPROCS=%q: default %d, want %d", env, got, want)
		}
	}
}
