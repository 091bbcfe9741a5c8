package generate

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/cli"
)

const repo = "../.."

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Command(context.Background(), cli.Env{Args: args, Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// TestCommittedFilesInSync regenerates from the committed thresholds file
// into a temporary directory and compares every file with the committed
// one: the "generated files are in sync" check.
func TestCommittedFilesInSync(t *testing.T) {
	dir := t.TempDir()
	rules, dashboards, docs := filepath.Join(dir, "rules"), filepath.Join(dir, "dashboards"), filepath.Join(dir, "docs")
	code, _, stderr := run(t, "--thresholds", filepath.Join(repo, "rules", "thresholds.yml"), "--rules.dir", rules, "--dashboards.dir", dashboards, "--docs.dir", docs)
	if code != 0 {
		t.Fatalf("generate exited %d: %s", code, stderr)
	}
	compared := 0
	for _, sub := range []string{"rules", "dashboards", "docs"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			want, _ := os.ReadFile(p)
			got, err := os.ReadFile(filepath.Join(repo, rel))
			if err != nil {
				t.Errorf("%s is generated but not committed: run golive generate", rel)
				return nil
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is out of date: run golive generate (make generate)", rel)
			}
			compared++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if compared < 20 {
		t.Errorf("compared only %d files", compared)
	}
}

func TestCheckReportsStaleFilesWithoutWriting(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--thresholds", filepath.Join(repo, "rules", "thresholds.yml"),
		"--rules.dir", filepath.Join(dir, "rules"), "--dashboards.dir", filepath.Join(dir, "dashboards"), "--docs.dir", filepath.Join(dir, "docs")}

	code, stdout, _ := run(t, append(args, "--check")...)
	if code != 1 || !strings.Contains(stdout, filepath.Join(dir, "rules", "host.rules.yml")) {
		t.Fatalf("--check on an empty directory: exit %d, stdout %q; want 1 listing host.rules.yml", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "rules")); !os.IsNotExist(err) {
		t.Fatalf("--check wrote files (stat: %v)", err)
	}

	if code, _, stderr := run(t, args...); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := run(t, append(args, "--check")...); code != 0 || stdout != "" {
		t.Fatalf("--check after generate: exit %d, stdout %q; want 0 and nothing listed", code, stdout)
	}
	// A second run changes nothing: the output is deterministic.
	if code, stdout, _ := run(t, args...); code != 0 || stdout != "" {
		t.Fatalf("rerun: exit %d, rewrote %q", code, stdout)
	}

	stale := filepath.Join(dir, "dashboards", "redis.json")
	if err := os.WriteFile(stale, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := run(t, append(args, "--check")...); code != 1 || strings.TrimSpace(stdout) != stale {
		t.Fatalf("--check with one stale file: exit %d, stdout %q; want 1 and %s", code, stdout, stale)
	}
}

func TestBadThresholdsFail(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "thresholds.yml")
	if err := os.WriteFile(bad, []byte("host:\n  cpu:\n    warning_percent: 150\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "--thresholds", bad, "--rules.dir", dir, "--dashboards.dir", dir, "--docs.dir", dir)
	if code != 1 || !strings.Contains(stderr, "host.cpu.warning_percent: 150 is outside 0..100") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the field", code, stderr)
	}
	if code, _, _ := run(t, "--no-such-flag"); code != 2 {
		t.Fatalf("unknown flag: exit %d, want 2", code)
	}
}
