package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunDispatches(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "golive version ") {
		t.Errorf("version: exit %d, stdout %q", code, stdout.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"nope"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "nope"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr.String())
	}
	for _, name := range []string{"exporter", "receiver", "generate", "baseline", "check-config"} {
		if _, ok := commands[name]; !ok {
			t.Errorf("the default build lacks %q", name)
		}
	}
}

// The exporter build must link none of the receiver's, generator's or
// baseline's packages and libraries: that is its point (see
// commands_exporteronly.go). An import added to the exporter that pulls one
// in fails here.
func TestExporterBuildLinksTheExporterAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds golive; skipped with -short")
	}
	out, err := exec.Command("go", "list", "-deps", "-tags", "exporteronly", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{
			"github.com/golive-ops/golive/receiver", "github.com/golive-ops/golive/internal/generate",
			"github.com/golive-ops/golive/internal/baseline", "github.com/golive-ops/golive/internal/checkconfig",
			"modernc.org/sqlite", "github.com/grafana-tools/sdk", "github.com/prometheus/alertmanager",
			"time/tzdata",
		} {
			if pkg == banned || strings.HasPrefix(pkg, banned+"/") {
				t.Errorf("the exporter build links %s", pkg)
			}
		}
	}

	bin := filepath.Join(t.TempDir(), "golive-exporter")
	if out, err := exec.Command("go", "build", "-tags", "exporteronly", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "golive (exporter build) version ") {
		t.Errorf("version: %v, %q", err, out)
	}
	serveOnce(t, bin)

	cmd := exec.Command(bin, "receiver")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), "the exporter build") {
		t.Errorf("receiver in the exporter build: %v, stderr %q", err, stderr.String())
	}
}

// serveOnce runs bin's exporter on the host collectors and expects host
// metrics and golive_build_info on /metrics.
func serveOnce(t *testing.T, bin string) {
	t.Helper()
	config := filepath.Join(t.TempDir(), "exporter.yml")
	if err := os.WriteFile(config, []byte("host: {enabled: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "exporter", "--config.file="+config, "--web.listen-address="+addr)
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{"\nnode_load1 ", "\ngolive_build_info{"} {
				if !strings.Contains(string(body), want) {
					t.Errorf("the exporter build's /metrics lacks %q", strings.TrimSpace(want))
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exporter build did not serve /metrics: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
