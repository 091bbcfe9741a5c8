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
	if code != 0 || strings.Count(out, "SUCCESS") != 3 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// As promtool: files are arguments, their kind comes from their keys, and
// each gets a line saying what was checked.
func TestPositionalFilesByContent(t *testing.T) {
	code, out := run(t,
		filepath.Join(repo, "deploy/examples/exporter.yml"),
		filepath.Join(repo, "deploy/examples/receiver.yml"),
		filepath.Join(repo, "rules/thresholds.yml"))
	for _, want := range []string{
		"Checking ../../deploy/examples/exporter.yml (exporter config, from its keys)\n  SUCCESS: ../../deploy/examples/exporter.yml (",
		"Checking ../../deploy/examples/receiver.yml (receiver config, from its keys)\n  SUCCESS: ../../deploy/examples/receiver.yml (storage",
		"Checking ../../rules/thresholds.yml (thresholds config, from its keys)\n  SUCCESS: thresholds parsed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}

	hostOnly := write(t, "host.yml", "host: {enabled: true}\n")
	if code, out := run(t, hostOnly); code != 0 || !strings.Contains(out, "(exporter config, from its keys)") {
		t.Errorf("host-only exporter config: exit %d\n%s", code, out)
	}
	ambiguous := write(t, "empty.yml", "# nothing yet\n")
	if code, out := run(t, ambiguous); code != 1 || !strings.Contains(out, "name it exporter:"+ambiguous) {
		t.Errorf("a file of no kind: exit %d\n%s", code, out)
	}
	if code, out := run(t, "exporter:"+ambiguous); code != 0 || !strings.Contains(out, "(exporter config, named exporter:)") {
		t.Errorf("exporter:FILE: exit %d\n%s", code, out)
	}
	if code, out := run(t, "thresholds:"+hostOnly); code != 1 || !strings.Contains(out, "FAILED") {
		t.Errorf("an exporter config named as thresholds: exit %d\n%s", code, out)
	}
	if code, _ := run(t); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
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
	if code, out := run(t, "--exporters=x.yml"); code != 2 || !strings.Contains(out, "unknown long flag '--exporters'") {
		t.Errorf("a misspelt flag: exit %d, %q", code, out)
	}
}

// Rollout plans are told apart by their keys (their notify is a list of
// channel names, the receiver's a mapping) and checked as the receiver
// would, each mistake named by its field.
func TestRolloutPlans(t *testing.T) {
	code, out := run(t, filepath.Join(repo, "deploy/examples/rollout.yml"))
	if code != 0 || !strings.Contains(out, "(plan config, from its keys)") || !strings.Contains(out, `rollout plan "checkout"`) {
		t.Fatalf("example plan: exit %d:\n%s", code, out)
	}
	bad := write(t, "plan.yml", `gate: go-live
traffic:
  haproxy: {address: "unix:/run/haproxy/admin.sock", backend: app, current: [old], candidate: [new]}
stages: [{percent: 50, observe: 1m}, {percent: 20, observe: 1m}, {percent: 140, observe: 1m}]
notify: [ops]
`)
	code, out = run(t, bad)
	for _, want := range []string{"(plan config, from its keys)", "stages[1].percent: 20 does not go up", "stages[2].percent: 140 is outside 0-100"} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("bad plan: exit %d, want %q in:\n%s", code, want, out)
		}
	}
	code, out = run(t, write(t, "typo.yml", "gate: go-live\nstages: [{percent: 100, observe: 1m, wieght: 1}]\n"))
	if code != 1 || !strings.Contains(out, `line 2: stages[0].wieght: unknown field`) {
		t.Errorf("unknown key: exit %d:\n%s", code, out)
	}
}

// A readiness checklist is told by its items, even with modules of its own.
func TestReadinessChecklist(t *testing.T) {
	code, out := run(t, filepath.Join(repo, "deploy/examples/readiness.yml"))
	if code != 0 || !strings.Contains(out, "(readiness config, from its keys)\n  SUCCESS: readiness checklist with") {
		t.Errorf("the example checklist: exit %d\n%s", code, out)
	}
	bad := write(t, "readiness.yml", "modules:\n  web: {prober: http}\nitems:\n  - name: api\n    probe: {module: wbe, target: http://127.0.0.1/}\n")
	code, out = run(t, bad)
	if code != 1 || !strings.Contains(out, `line 5: items[0].probe.module: "wbe" is not a module of the checklist or the exporter config (have: web)`) {
		t.Errorf("a checklist naming a missing module: exit %d\n%s", code, out)
	}
}
