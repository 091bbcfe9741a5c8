package readiness

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/cli"
)

func sampleReport() *Report {
	r := &Report{GeneratedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Items: []Result{
		{Name: "training", Category: "business", Kind: "manual", Required: true, Status: StatusPending, Reason: "not signed off"},
		{Name: "db", Category: "application", Kind: "postgres", Required: true, Status: StatusPass, Evidence: "pg_up 1"},
		{Name: "cert", Category: "infrastructure", Kind: "probe", Required: true, Status: StatusWarn, Reason: "expires in 9.9 days"},
		{Name: "cache", Category: "application", Kind: "redis", Required: true, Status: StatusFail, Reason: "redis_up 0"},
		{Name: "dns", Category: "infrastructure", Kind: "probe", Required: false, Status: StatusFail, Reason: "refused"},
		{Name: "prom", Category: "monitoring", Kind: "prometheus_targets", Required: true, Status: StatusError, Reason: "not reachable"},
	}}
	r.finish([]string{"infrastructure", "application", "monitoring", "business"})
	return r
}

// Text groups by category in the runbook's order, failures first.
func TestTextOutput(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sampleReport(), "text", false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	order := []string{"Infrastructure", "FAIL    dns (optional)", "WARN    cert", "Application", "FAIL    cache", "PASS    db", "Monitoring", "ERROR   prom", "Business", "PENDING training", "not ready: "}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i <= last {
			t.Fatalf("%q out of order (or missing) in:\n%s", s, out)
		}
		last = i
	}
	b.Reset()
	_ = Write(&b, sampleReport(), "text", true)
	if strings.Contains(b.String(), "PASS") || !strings.Contains(b.String(), "WARN") {
		t.Errorf("--only-failed:\n%s", b.String())
	}
}

func TestJUnitOutput(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sampleReport(), "junit", false); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if got.Tests != 6 || got.Failures != 2 || got.Errors != 1 || len(got.Suites) != 4 {
		t.Errorf("tests %d failures %d errors %d suites %d, want 6 2 1 4", got.Tests, got.Failures, got.Errors, len(got.Suites))
	}
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			switch c.Name {
			case "dns":
				if c.Skipped == nil || c.Failure != nil {
					t.Errorf("an optional failure is skipped, not failed: %+v", c)
				}
			case "training", "cache":
				if c.Failure == nil {
					t.Errorf("%s: want a failure", c.Name)
				}
			case "cert":
				if c.Failure != nil || !strings.Contains(c.SystemOut, "WARNING: expires") {
					t.Errorf("a warning passes with its reason: %+v", c)
				}
			}
		}
	}
}

// --wait evaluates again until the checklist is ready.
func TestWaitUntilReady(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "readiness.yml")
	if err := os.WriteFile(path, fmt.Appendf(nil, "modules:\n  web: {prober: http}\nitems:\n  - {name: api, probe: {module: web, target: %s}}\n", srv.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Command(context.Background(), cli.Env{Args: append([]string{"--checklist", path}, args...), Stdout: &out, Stderr: &errb})
		return code, out.String() + errb.String()
	}
	calls.Store(0)
	if code, out := run(); code != ExitNotReady {
		t.Errorf("once: exit %d, want 1\n%s", code, out)
	}
	calls.Store(0)
	code, out := run("--wait", "5s", "--wait.interval", "100ms", "--output", "json")
	if code != ExitReady || calls.Load() != 3 || !strings.Contains(out, "evaluating again in 100ms") {
		t.Errorf("--wait: exit %d after %d probes\n%s", code, calls.Load(), out)
	}
}
