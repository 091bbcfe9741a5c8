package execaction

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

func touchAction(t *testing.T, dir string) *Action {
	t.Helper()
	c := Config{Argv: []string{"/usr/bin/touch", "marker-{service}"}, Dir: dir,
		Env:           map[string]string{"UNIT": "{service}"},
		Substitutions: action.Substitutions{"service": {Label: "service", Allow: "[a-z0-9][a-z0-9-]*"}}}
	if err := c.Validate("exec"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Hostile label values never reach a program: the plan is refused and
// says which substitution and value, and nothing is created.
func TestHostileLabelValuesAreRefused(t *testing.T) {
	dir := t.TempDir()
	a := touchAction(t, dir)
	for _, v := range []string{"web; rm -rf /", "$(id)", "`id`", "web\nid", "../../etc/passwd", "", "WEB", "web x"} {
		_, err := a.Plan(action.Trigger{Labels: map[string]string{"service": v}})
		if !errors.Is(err, action.ErrRefused) || !strings.Contains(err.Error(), "substitution service") {
			t.Errorf("service=%q: %v, want a refusal naming the substitution", v, err)
		}
	}
	if _, err := a.Plan(action.Trigger{Labels: map[string]string{"instance": "x"}}); !errors.Is(err, action.ErrRefused) {
		t.Errorf("a missing label: %v, want a refusal", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("something ran: %v", entries)
	}
	req, err := a.Plan(action.Trigger{Labels: map[string]string{"service": "web-1"}})
	if err != nil || strings.Join(req.Argv, " ") != "/usr/bin/touch marker-web-1" || req.Env["UNIT"] != "web-1" {
		t.Fatalf("plan = %+v (%v)", req, err)
	}
	if _, _, err := a.Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "marker-web-1")); err != nil {
		t.Fatalf("the allowed value did not run: %v", err)
	}
}

func TestRunReportsExitOutputAndTimeout(t *testing.T) {
	rep, retry, err := Run(context.Background(), Command{Argv: []string{"/bin/ls", "/nonexistent-golive"}})
	if err == nil || retry || rep.ExitCode == nil || *rep.ExitCode == 0 || !strings.Contains(rep.Output, "nonexistent-golive") {
		t.Fatalf("failing program: %+v retry=%v err=%v", rep, retry, err)
	}
	rep, _, err = Run(context.Background(), Command{Argv: []string{"/usr/bin/yes"}, MaxOutputBytes: 100, Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "killed after") || len(rep.Output) != 100 || !rep.Truncated {
		t.Fatalf("endless program: output %d bytes, truncated %v, err %v", len(rep.Output), rep.Truncated, err)
	}
	if _, _, err := Run(context.Background(), Command{Argv: []string{"/nonexistent/prog"}}); err == nil || !strings.Contains(err.Error(), "cannot start") {
		t.Fatalf("missing program: %v", err)
	}
}

func TestValidate(t *testing.T) {
	sub := action.Substitutions{"s": {Label: "service", Allow: "[a-z]+"}}
	cases := map[string]struct {
		c    Config
		want string
	}{
		"no argv":        {Config{}, "x.argv: required"},
		"relative":       {Config{Argv: []string{"systemctl"}}, "x.argv[0]: \"systemctl\" must be an absolute path"},
		"shell":          {Config{Argv: []string{"/bin/sh", "-c", "echo"}}, "is a shell"},
		"program subst":  {Config{Argv: []string{"/usr/bin/{s}"}, Substitutions: sub}, "x.argv[0]: the program cannot come from a substitution"},
		"undefined":      {Config{Argv: []string{"/bin/echo", "{svc}"}}, "x.argv[1]: {svc} is not a defined substitution"},
		"no allow-list":  {Config{Argv: []string{"/bin/echo", "{s}"}, Substitutions: action.Substitutions{"s": {Label: "service"}}}, "x.substitutions.s.allow: required"},
		"matches empty":  {Config{Argv: []string{"/bin/echo", "{s}"}, Substitutions: action.Substitutions{"s": {Label: "service", Allow: ".*"}}}, "matches the empty value"},
		"bad regexp":     {Config{Argv: []string{"/bin/echo", "{s}"}, Substitutions: action.Substitutions{"s": {Label: "service", Allow: "("}}}, "x.substitutions.s.allow: error parsing regexp"},
		"env undefined":  {Config{Argv: []string{"/bin/echo"}, Env: map[string]string{"U": "{u}"}}, "x.env.U: {u} is not a defined substitution"},
		"secret in env":  {Config{Argv: []string{"/bin/echo"}, Env: map[string]string{"API_TOKEN": "abc"}}, "x.env.API_TOKEN: looks like a credential"},
		"negative limit": {Config{Argv: []string{"/bin/echo"}, Timeout: model.Duration(-1)}, "cannot be negative"},
	}
	for name, c := range cases {
		err := c.c.Validate("x")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// A credential from env_files reaches the program and never the stored
// request.
func TestEnvFilesStayOutOfTheRequest(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte("s3cret\n"), 0o600)
	c := Config{Argv: []string{"/usr/bin/printenv"}, EnvFiles: map[string]string{"API_TOKEN": tok}}
	if err := c.Validate("x"); err != nil {
		t.Fatal(err)
	}
	a, _ := New(c)
	req, err := a.Plan(action.Trigger{})
	if err != nil || req.Env["API_TOKEN"] != "" {
		t.Fatalf("plan = %+v, %v", req, err)
	}
	rep, _, err := a.Run(context.Background(), req)
	if err != nil || !strings.Contains(rep.Output, "API_TOKEN=s3cret\n") || strings.Contains(rep.Output, "HOME=") {
		t.Fatalf("the program saw %q (%v), want the token and a minimal environment", rep.Output, err)
	}
}
