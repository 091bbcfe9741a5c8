package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	cmd := exec.Command(bin, "receiver")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), "the exporter build") {
		t.Errorf("receiver in the exporter build: %v, stderr %q", err, stderr.String())
	}
}
