package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnitsStartGolive runs each shipped unit's ExecStart through
// --config.check, with the example config in place of /etc/golive's: a flag
// the unit passes and golive no longer knows fails here, not on a host.
func TestSystemdUnitsStartGolive(t *testing.T) {
	root := mustRepoRoot(t)
	bin := golive(t)
	for unit, example := range map[string]string{
		"golive-exporter.service": "deploy/examples/exporter.yml",
		"golive-receiver.service": "deploy/examples/receiver.yml",
	} {
		t.Run(unit, func(t *testing.T) {
			args := execStart(t, filepath.Join(root, "deploy/systemd", unit))
			if len(args) < 2 || args[0] != "/usr/local/bin/golive" {
				t.Fatalf("ExecStart %q does not run /usr/local/bin/golive", args)
			}
			var replaced bool
			for i, a := range args {
				if strings.HasPrefix(a, "--config.file=") {
					args[i], replaced = "--config.file="+filepath.Join(root, example), true
				}
			}
			if !replaced {
				t.Fatal("ExecStart names no --config.file")
			}
			cmd := exec.Command(bin, append(args[1:], "--config.check")...)
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "OK") {
				t.Errorf("golive %s --config.check: %v\n%s", strings.Join(args[1:], " "), err, out)
			}
		})
	}
}

// execStart returns the ExecStart line of a unit file, split into words
// (the shipped units quote nothing).
func execStart(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var found []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "ExecStart="); ok {
			if found != nil {
				t.Fatalf("%s: more than one ExecStart", path)
			}
			found = strings.Fields(rest)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if found == nil {
		t.Fatalf("%s: no ExecStart", path)
	}
	return found
}

// The receiver's unit caps its memory, with the Go runtime's soft limit
// below the kernel's hard one (the runtime collects before the kernel
// kills).
func TestReceiverUnitBoundsMemory(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(mustRepoRoot(t), "deploy/systemd/golive-receiver.service"))
	if err != nil {
		t.Fatal(err)
	}
	var hard, soft int64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemoryMax="); ok {
			hard = bytesOf(t, v)
		}
		if v, ok := strings.CutPrefix(line, "Environment=GOMEMLIMIT="); ok {
			soft = bytesOf(t, v)
		}
	}
	// 265 MiB is the measured peak live heap of four concurrent 32 MiB
	// webhooks under the default in-flight budget.
	if hard == 0 || soft == 0 || soft >= hard || soft < 2*265<<20 {
		t.Fatalf("MemoryMax=%d GOMEMLIMIT=%d: want both, GOMEMLIMIT below MemoryMax and at least twice the 265 MiB peak heap", hard, soft)
	}
}

// bytesOf reads systemd's and Go's sizes: 1G, 640MiB.
func bytesOf(t *testing.T, v string) int64 {
	t.Helper()
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"G", 1 << 30}, {"M", 1 << 20}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			var x int64
			if _, err := fmt.Sscan(n, &x); err != nil {
				t.Fatalf("size %q: %v", v, err)
			}
			return x * u.mult
		}
	}
	t.Fatalf("size %q: unknown unit", v)
	return 0
}
