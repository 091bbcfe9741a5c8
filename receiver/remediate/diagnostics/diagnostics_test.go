package diagnostics

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

func TestCaptureIsBoundedAndComplete(t *testing.T) {
	log := filepath.Join(t.TempDir(), "app.log")
	var b strings.Builder
	for i := range 5000 {
		b.WriteString("line ")
		b.WriteString(strings.Repeat("x", i%50))
		b.WriteString("\n")
	}
	b.WriteString("the last line\n")
	os.WriteFile(log, []byte(b.String()), 0o600)
	c := Config{LogFiles: []string{log, "/nonexistent/golive.log"}, TailBytes: 4096, MaxItemBytes: 2048, MaxTotalBytes: 1 << 20}
	if err := c.Validate("d"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := a.Run(context.Background(), a.mustPlan(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, at := range rep.Attachments {
		if len(at.Content) > 2048 {
			t.Errorf("%s: %d bytes, over the item bound", at.Name, len(at.Content))
		}
		got[at.Name] = at.Content
	}
	for _, name := range []string{"uptime", "load", "memory", "disk", "top_cpu", "top_memory"} {
		if got[name] == "" || strings.HasPrefix(got[name], "unavailable") {
			t.Errorf("%s = %q", name, got[name])
		}
	}
	if !strings.Contains(got["memory"], "available") || !strings.Contains(got["disk"], "/: size") || !strings.Contains(got["top_memory"], "PID") {
		t.Errorf("items = %v", got)
	}
	if !strings.HasPrefix(got["log /nonexistent/golive.log"], "unavailable") {
		t.Errorf("missing log = %q, want it marked unavailable", got["log /nonexistent/golive.log"])
	}
	// Tail: the end of the file, from a line start (the item bound cuts it).
	tailText := got["log "+log]
	if !strings.HasPrefix(tailText, "line ") {
		t.Errorf("tail starts mid-line: %q", tailText[:20])
	}

	small, _ := New(Config{LogFiles: []string{log}, MaxTotalBytes: 300})
	rep, _, _ = small.Run(context.Background(), small.mustPlan(t))
	total := 0
	for _, at := range rep.Attachments {
		total += len(at.Content)
	}
	if total > 300 || !rep.Truncated && len(rep.Attachments) == 7 {
		t.Errorf("total %d bytes over %d items, want at most 300", total, len(rep.Attachments))
	}
}

func (a *Action) mustPlan(t *testing.T) (r actionRequest) {
	t.Helper()
	r, err := a.Plan(trigger{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type (
	actionRequest = action.Request
	trigger       = action.Trigger
)
