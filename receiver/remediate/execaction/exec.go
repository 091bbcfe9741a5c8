// Package execaction is the `exec` remediation kind: run a program from
// an argv written in the config, never through a shell. Alert labels reach
// argv and env only through named substitutions with allow-lists (see
// action.Substitutions); the program and its path never come from a
// label. This is the one package that runs commands (depguard).
package execaction

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

// Config is an exec action.
type Config struct {
	// Argv is the program (an absolute path) and its arguments; arguments
	// may use {name} substitutions.
	Argv []string `yaml:"argv"`
	// Env is added to a minimal environment (PATH, LANG); values may use
	// substitutions.
	Env map[string]string `yaml:"env,omitempty"`
	// EnvFiles are variables read from files when the program starts
	// (credentials): they are never stored with the request or shown.
	EnvFiles      map[string]string    `yaml:"env_files,omitempty"`
	Substitutions action.Substitutions `yaml:"substitutions,omitempty"`
	Dir           string               `yaml:"dir,omitempty"`
	// Timeout kills the program's process group (default 30s).
	Timeout model.Duration `yaml:"timeout,omitempty"`
	// MaxOutputBytes bounds captured stdout+stderr (default 64 KiB).
	MaxOutputBytes int `yaml:"max_output_bytes,omitempty"`
	// Idempotent: running it twice is harmless (default false: after a
	// crash mid-run, a person decides).
	Idempotent bool `yaml:"idempotent,omitempty"`
}

// Defaults.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxOutputBytes = 64 << 10
)

// credentialName matches variable names that usually hold secrets.
var credentialName = regexp.MustCompile(`(?i)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|CREDENTIAL)`)

var shells = []string{"sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox", "env"}

// Validate checks c; field names the config path ("remediation.actions[0].exec").
func (c *Config) Validate(field string) error {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return fmt.Errorf("%s.argv: required: the program and its arguments", field)
	}
	if !filepath.IsAbs(c.Argv[0]) {
		return fmt.Errorf("%s.argv[0]: %q must be an absolute path (no lookup in PATH)", field, c.Argv[0])
	}
	if action.HasPlaceholder(c.Argv[0]) {
		return fmt.Errorf("%s.argv[0]: the program cannot come from a substitution", field)
	}
	if slices.Contains(shells, filepath.Base(c.Argv[0])) {
		return fmt.Errorf("%s.argv[0]: %s is a shell or launcher; run the program itself (argv, never a shell)", field, c.Argv[0])
	}
	templates := map[string]string{}
	for i, a := range c.Argv {
		templates[fmt.Sprintf("argv[%d]", i)] = a
	}
	for k, v := range c.Env {
		if k == "" || strings.ContainsAny(k, "={}") {
			return fmt.Errorf("%s.env: %q is not a variable name", field, k)
		}
		if credentialName.MatchString(k) {
			return fmt.Errorf("%s.env.%s: looks like a credential; env values are stored and shown with the request, use env_files", field, k)
		}
		templates["env."+k] = v
	}
	for k, f := range c.EnvFiles {
		if k == "" || strings.ContainsAny(k, "={}") || f == "" {
			return fmt.Errorf("%s.env_files: %q needs a variable name and a file", field, k)
		}
		if _, dup := c.Env[k]; dup {
			return fmt.Errorf("%s.env_files.%s: also set in env", field, k)
		}
	}
	if c.Timeout < 0 || c.MaxOutputBytes < 0 {
		return fmt.Errorf("%s: timeout and max_output_bytes cannot be negative", field)
	}
	return c.Substitutions.Compile(field, templates)
}

// Action is a configured exec action.
type Action struct{ c Config }

// New returns the action (c must be valid).
func New(c Config) (*Action, error) {
	if c.Timeout == 0 {
		c.Timeout = model.Duration(DefaultTimeout)
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = DefaultMaxOutputBytes
	}
	return &Action{c: c}, nil
}

// Idempotent implements action.Action.
func (a *Action) Idempotent() bool { return a.c.Idempotent }

// Plan implements action.Action.
func (a *Action) Plan(t action.Trigger) (action.Request, error) {
	req := action.Request{Argv: slices.Clone(a.c.Argv)}
	vals, err := a.c.Substitutions.Values(t.Labels)
	if err != nil {
		return req, err
	}
	for i := range req.Argv {
		req.Argv[i] = action.Expand(req.Argv[i], vals, nil)
	}
	if len(a.c.Env) > 0 {
		req.Env = map[string]string{}
		for k, v := range a.c.Env {
			req.Env[k] = action.Expand(v, vals, nil)
		}
	}
	return req, nil
}

// Run implements action.Action.
func (a *Action) Run(ctx context.Context, r action.Request) (action.Report, bool, error) {
	env := maps.Clone(r.Env)
	for k, f := range a.c.EnvFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return action.Report{}, false, fmt.Errorf("exec: env_files.%s: %w", k, err)
		}
		if env == nil {
			env = map[string]string{}
		}
		env[k] = strings.TrimRight(string(b), "\r\n")
	}
	return Run(ctx, Command{Argv: r.Argv, Env: env, Dir: a.c.Dir, Timeout: time.Duration(a.c.Timeout),
		MaxOutputBytes: a.c.MaxOutputBytes})
}

// Command is one program run, for kinds that fall back to a command
// (service_restart without systemd).
type Command struct {
	Argv           []string
	Env            map[string]string
	Dir            string
	Timeout        time.Duration
	MaxOutputBytes int
}

// Run starts c.Argv directly (no shell) in its own process group, kills
// the group at the timeout, and reports the exit status and the bounded
// combined output. A program that cannot start is not retried; neither is
// a non-zero exit: the program ran, and repeating it is a person's call.
func Run(ctx context.Context, c Command) (action.Report, bool, error) {
	var rep action.Report
	if len(c.Argv) == 0 {
		return rep, false, errors.New("exec: empty argv")
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxOutputBytes <= 0 {
		c.MaxOutputBytes = DefaultMaxOutputBytes
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		cmd.Env = append(cmd.Env, k+"="+c.Env[k])
	}
	out := &action.Bounded{Max: c.MaxOutputBytes}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	rep.Duration = time.Since(start)
	rep.Output, rep.Truncated = out.String(), out.Truncated()
	if cmd.ProcessState != nil {
		code := cmd.ProcessState.ExitCode()
		rep.ExitCode = &code
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return rep, false, nil
	case ctx.Err() != nil:
		return rep, false, fmt.Errorf("exec %s: killed after %s: %w", filepath.Base(c.Argv[0]), c.Timeout, ctx.Err())
	case errors.As(err, &exitErr):
		return rep, false, fmt.Errorf("exec %s: exit status %d", filepath.Base(c.Argv[0]), exitErr.ExitCode())
	case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission):
		return rep, false, fmt.Errorf("exec %s: cannot start: %w", filepath.Base(c.Argv[0]), err)
	default:
		return rep, false, fmt.Errorf("exec %s: %w", filepath.Base(c.Argv[0]), err)
	}
}
