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
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/cli"
)

// syncBuffer is a bytes.Buffer a child process and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func getBody(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunDispatches(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"version"}, 0, "golive, version ", ""},
		{[]string{"--version"}, 0, "golive, version ", ""},
		{[]string{"--help"}, 0, "usage: golive <command>", ""},
		{[]string{"-h"}, 0, "usage: golive <command>", ""},
		{nil, 2, "", "usage: golive <command>"},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.HasPrefix(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("golive %q: exit %d, stdout %q, stderr %q", tc.args, code, stdout.String(), stderr.String())
		}
	}
	for _, name := range []string{"exporter", "receiver", "generate", "baseline", "check-config"} {
		if _, ok := commands[name]; !ok {
			t.Errorf("the default build lacks %q", name)
		}
	}
}

// leaves lists every command as its words, groups walked into.
func leaves(prefix []string, cmds map[string]cli.Command) [][]string {
	var out [][]string
	for name, c := range cmds {
		path := append(append([]string(nil), prefix...), name)
		if c.Subcommands != nil {
			out = append(out, path) // the group itself follows the rules too
			out = append(out, leaves(path, c.Subcommands)...)
			continue
		}
		out = append(out, path)
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], " ") < strings.Join(out[j], " ") })
	return out
}

// Every command, present and future, behaves as the Prometheus family's:
// --help and -h print usage on stdout and exit 0, --version prints the
// version and exits 0, an unknown flag is a usage error (2) on stderr.
func TestEveryCommandFollowsTheConventions(t *testing.T) {
	paths := leaves(nil, commands)
	if len(paths) < 10 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := strings.Join(path, " ")
		t.Run(name, func(t *testing.T) {
			exec := func(extra ...string) (int, string, string) {
				var stdout, stderr bytes.Buffer
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				code := run(ctx, append(append([]string(nil), path...), extra...), &stdout, &stderr)
				return code, stdout.String(), stderr.String()
			}
			for _, help := range []string{"--help", "-h"} {
				if code, out, errOut := exec(help); code != 0 || !strings.Contains(out, "usage: golive "+name) {
					t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want 0 and usage on stdout", name, help, code, out, errOut)
				}
			}
			if code, out, errOut := exec("--version"); code != 0 || !strings.HasPrefix(out, "golive, version ") || !strings.Contains(out, "go version:") {
				t.Errorf("%s --version: exit %d, stdout %q, stderr %q", name, code, out, errOut)
			}
			if code, out, errOut := exec("--no-such-flag"); code != 2 || !strings.Contains(errOut, "golive "+name+": error: unknown long flag '--no-such-flag', try --help") || out != "" {
				t.Errorf("%s --no-such-flag: exit %d, stdout %q, stderr %q; want 2 and the error on stderr", name, code, out, errOut)
			}
		})
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

	dir := t.TempDir()
	bin := filepath.Join(dir, "golive")
	if out, err := exec.Command("go", "build", "-tags", "exporteronly", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "golive (exporter build), version ") {
		t.Errorf("version: %v, %q", err, out)
	}
	// Named golive-exporter, it is the exporter without a command word,
	// and without a config file it collects the host (as node_exporter).
	exporterBin := filepath.Join(dir, "golive-exporter")
	if err := os.Link(bin, exporterBin); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(exporterBin, "--version").Output(); err != nil || !strings.HasPrefix(string(out), "golive, version ") {
		t.Errorf("golive-exporter --version: %v, %q", err, out)
	}
	logs := serveOnce(t, exporterBin)
	for _, want := range []string{"level=INFO source=command.go:", `msg="No --config.file: collecting this host only; an example config`, "deploy/examples/exporter.yml"} {
		if !strings.Contains(logs, want) {
			t.Errorf("golive-exporter logs lack %q:\n%s", want, logs)
		}
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

// serveOnce runs golive-exporter with no config (the host collectors) and
// expects host metrics and golive_build_info with its labels on /metrics and
// /-/healthy; it returns the logs.
func serveOnce(t *testing.T, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs syncBuffer
	cmd := exec.Command(bin, "--web.listen-address="+addr)
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
			for _, want := range []string{"\nnode_load1 ", "\ngolive_build_info{branch=", `goarch="`, `goos="`, `tags="`} {
				if !strings.Contains(string(body), want) {
					t.Errorf("the exporter build's /metrics lacks %q", strings.TrimSpace(want))
				}
			}
			if code, body := getBody(t, client, "http://"+addr+"/-/healthy"); code != 200 || body != "Healthy\n" {
				t.Errorf("/-/healthy: %d %q", code, body)
			}
			return logs.String()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exporter build did not serve /metrics: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logLine is the shape every server command's log lines take (promslog's
// logfmt with the source location).
var logLine = regexp.MustCompile(`^time=\S+ level=(DEBUG|INFO|WARN|ERROR) source=[a-z_]+\.go:\d+ msg=`)

// The exporter and the receiver log the same line shape and answer
// /-/healthy the same way.
func TestServersShareLogShapeAndHealth(t *testing.T) {
	example, err := os.ReadFile("deploy/examples/receiver.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	receiverConfig := filepath.Join(dir, "receiver.yml")
	cfg := strings.Replace(string(example), "path: data/receiver.db", "path: "+filepath.Join(dir, "receiver.db"), 1)
	if err := os.WriteFile(receiverConfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args      []string
		listening string // message logged with the bound address
	}{
		{[]string{"exporter", "--web.listen-address=127.0.0.1:0", "--runtime.gomaxprocs=" + strconv.Itoa(runtime.GOMAXPROCS(0))}, "serving"},
		{[]string{"receiver", "--config.file=" + receiverConfig, "--web.listen-address=127.0.0.1:0"}, `"receiver listening"`},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var logs syncBuffer
			exited := make(chan int, 1)
			go func() { exited <- run(ctx, tc.args, io.Discard, &logs) }()
			addr := regexp.MustCompile(`msg=` + tc.listening + `.* address=(127\.0\.0\.1:\d+)`)
			var m []string
			deadline := time.Now().Add(15 * time.Second)
			for m = addr.FindStringSubmatch(logs.String()); m == nil; m = addr.FindStringSubmatch(logs.String()) {
				if time.Now().After(deadline) {
					t.Fatalf("%s did not say where it listens:\n%s", tc.args[0], logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			client := &http.Client{Timeout: 5 * time.Second}
			if code, body := getBody(t, client, "http://"+m[1]+"/-/healthy"); code != 200 || body != "Healthy\n" {
				t.Errorf("/-/healthy: %d %q", code, body)
			}
			_, metrics := getBody(t, client, "http://"+m[1]+"/metrics")
			if !regexp.MustCompile(`\ngolive_build_info\{branch="[^"]*",goarch="[a-z0-9]+",goos="[a-z]+",goversion="go[^"]+",revision="[^"]+",tags="[^"]*",version="[^"]+"\} 1\n`).MatchString(metrics) {
				t.Errorf("/metrics lacks golive_build_info with its labels")
			}
			cancel()
			if code := <-exited; code != 0 {
				t.Errorf("exit %d after shutdown", code)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) < 3 {
				t.Errorf("too few log lines:\n%s", logs.String())
			}
			for _, l := range lines {
				if !logLine.MatchString(l) {
					t.Errorf("log line of another shape: %q", l)
				}
			}
			if !strings.Contains(logs.String(), `msg="Build context" build_context=`) {
				t.Errorf("no build context logged:\n%s", logs.String())
			}
		})
	}
}
