package checkconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/cli"
)

const repo = "../.."

func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out strings.Builder
	code := Command(t.Context(), cli.Env{Args: args, Stdout: &out, Stderr: &out})
	return code, out.String()
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommittedConfigsPass(t *testing.T) {
	code, out := run(t,
		"--exporter", filepath.Join(repo, "deploy/examples/exporter.yml"),
		"--receiver", filepath.Join(repo, "deploy/examples/receiver.yml"),
		"--thresholds", filepath.Join(repo, "rules/thresholds.yml"))
	if code != 0 || strings.Count(out, "OK") != 3 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestEachKindOfMistakeIsNamed(t *testing.T) {
	badExporter := write(t, "exporter.yml", "redis:\n  - name: main\n    adress: 127.0.0.1:6379\n")
	badReceiver := write(t, "receiver.yml", "auth: {disabled: true}\nnotify:\n  channels:\n    - name: ops\n      slack: {url_file: /nonexistent/slack-url}\n")
	badThresholds := write(t, "thresholds.yml", "host:\n  cpu:\n    warning_percent: 120\n")
	for _, c := range []struct {
		flag, file, want string
	}{
		{"--exporter", badExporter, "line 3: redis[0].adress: unknown field (did you mean address?)"},
		{"--receiver", badReceiver, "url_file"},
		{"--thresholds", badThresholds, "warning_percent"},
	} {
		code, out := run(t, c.flag, c.file)
		if code != 1 || !strings.Contains(out, c.want) {
			t.Errorf("%s %s: exit %d, output %q; want 1 and %q", c.flag, c.file, code, out, c.want)
		}
	}
	// One bad file fails the run even when the others pass.
	if code, _ := run(t, "--thresholds", filepath.Join(repo, "rules/thresholds.yml"), "--exporter", badExporter); code != 1 {
		t.Errorf("a bad file among good ones: exit %d, want 1", code)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _ := run(t); code != 2 {
		t.Errorf("no files: exit %d, want 2", code)
	}
	if code, out := run(t, "exporter.yml"); code != 2 || !strings.Contains(out, "--exporter") {
		t.Errorf("positional file: exit %d, %q", code, out)
	}
}
