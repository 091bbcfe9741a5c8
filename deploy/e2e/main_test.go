package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The golive binary is built once per test run, on first use, into binDir.
var (
	binDir    string
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// golive returns the path of a golive binary built from this work tree, or
// the one GOLIVE_E2E_BINARY names (a CI that has built it already).
func golive(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GOLIVE_E2E_BINARY"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		buildPath, buildErr = buildGolive()
	})
	if buildErr != nil {
		t.Fatalf("building golive: %v", buildErr)
	}
	return buildPath
}

func buildGolive() (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go not in PATH: %w", err)
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	binDir, err = os.MkdirTemp("", "golive-e2e-bin-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(binDir, "golive")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, "github.com/golive-ops/golive")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, msg)
	}
	return out, nil
}

// repoRoot is the directory holding go.mod, found upwards from the test's
// working directory (deploy/e2e).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
}

func mustRepoRoot(t *testing.T) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}
