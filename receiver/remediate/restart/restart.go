// Package restart is the `service_restart` remediation kind: restart a
// systemd unit over D-Bus where systemd runs (no sudo: a polkit rule grants
// the golive user manage-units for the listed units), or run a configured
// command otherwise. A unit over its start limit is a failure, never a
// reason to try again. The policy's post-check (verify) decides whether
// the restart fixed anything.
package restart

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/coreos/go-systemd/v22/util"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/remediate/execaction"
)

// Config is a service_restart action.
type Config struct {
	// Unit is the systemd unit (it may use a {name} substitution, e.g.
	// "{service}.service").
	Unit          string               `yaml:"unit"`
	Substitutions action.Substitutions `yaml:"substitutions,omitempty"`
	// Manager is systemd, command, or auto (default: systemd when it is
	// PID 1, else command).
	Manager string `yaml:"manager,omitempty"`
	// Command is the argv run without systemd; {unit} is the unit.
	Command []string       `yaml:"command,omitempty"`
	Timeout model.Duration `yaml:"timeout,omitempty"` // default 90s
}

var unitRe = regexp.MustCompile(`^[A-Za-z0-9:_.@\\-]+\.(service|socket|target)$`)

// Validate checks c.
func (c *Config) Validate(field string) error {
	if c.Unit == "" {
		return fmt.Errorf("%s.unit: required", field)
	}
	if !action.HasPlaceholder(c.Unit) && !unitRe.MatchString(c.Unit) {
		return fmt.Errorf("%s.unit: %q is not a unit name (name.service)", field, c.Unit)
	}
	switch c.Manager {
	case "", "auto", "systemd", "command":
	default:
		return fmt.Errorf("%s.manager: %q is not one of auto, systemd, command", field, c.Manager)
	}
	if c.Manager == "command" && len(c.Command) == 0 {
		return fmt.Errorf("%s.command: required with manager command", field)
	}
	templates := map[string]string{"unit": c.Unit}
	if len(c.Command) > 0 {
		if !filepath.IsAbs(c.Command[0]) || action.HasPlaceholder(c.Command[0]) {
			return fmt.Errorf("%s.command[0]: %q must be an absolute path without substitutions", field, c.Command[0])
		}
		for i, a := range c.Command {
			templates[fmt.Sprintf("command[%d]", i)] = a
		}
	}
	subs := c.Substitutions
	if subs == nil {
		subs = action.Substitutions{}
	}
	// {unit} is always defined in commands: the rendered, checked unit.
	for k, v := range templates {
		templates[k] = strings.ReplaceAll(v, "{unit}", "")
	}
	return subs.Compile(field, templates)
}

// Bus is the part of systemd's D-Bus API a restart needs.
type Bus interface {
	RestartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	GetUnitPropertyContext(ctx context.Context, unit, property string) (*sddbus.Property, error)
	Close()
}

// Action is a configured restart.
type Action struct {
	c   Config
	bus func(ctx context.Context) (Bus, error) // nil: use the command
}

// New returns the action.
func New(c Config) (*Action, error) {
	if c.Timeout == 0 {
		c.Timeout = model.Duration(90 * time.Second)
	}
	a := &Action{c: c}
	if c.Manager == "systemd" || (c.Manager != "command" && util.IsRunningSystemd()) {
		a.bus = func(ctx context.Context) (Bus, error) { return sddbus.NewSystemConnectionContext(ctx) }
	} else if len(c.Command) == 0 {
		return nil, errors.New("service_restart: systemd is not running here and no command is configured")
	}
	return a, nil
}

// WithBus makes the action restart through b (tests: a fake bus).
func (a *Action) WithBus(b Bus) *Action {
	a.bus = func(context.Context) (Bus, error) { return b, nil }
	return a
}

// Idempotent implements action.Action: a second restart is a second
// outage; after a crash mid-restart a person decides.
func (a *Action) Idempotent() bool { return false }

// Plan implements action.Action.
func (a *Action) Plan(t action.Trigger) (action.Request, error) {
	vals, err := a.c.Substitutions.Values(t.Labels)
	if err != nil {
		return action.Request{}, err
	}
	unit := action.Expand(a.c.Unit, vals, nil)
	if !unitRe.MatchString(unit) {
		return action.Request{}, fmt.Errorf("%w: unit %q is not a unit name", action.ErrRefused, unit)
	}
	req := action.Request{Detail: map[string]string{"unit": unit}}
	if a.bus != nil {
		req.Detail["manager"] = "systemd"
		return req, nil
	}
	req.Detail["manager"] = "command"
	vals["unit"] = unit
	for _, arg := range a.c.Command {
		req.Argv = append(req.Argv, action.Expand(arg, vals, nil))
	}
	return req, nil
}

// Run implements action.Action.
func (a *Action) Run(ctx context.Context, r action.Request) (action.Report, bool, error) {
	if r.Detail["manager"] == "command" {
		return execaction.Run(ctx, execaction.Command{Argv: r.Argv, Timeout: time.Duration(a.c.Timeout)})
	}
	if a.bus == nil {
		return action.Report{}, false, errors.New("service_restart: planned for systemd, which is not available here")
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(a.c.Timeout))
	defer cancel()
	rep, err := a.systemd(ctx, r.Detail["unit"])
	rep.Duration = time.Since(start)
	// Never retried: a failed restart is a person's problem, and a retry
	// only moves the unit toward its start limit.
	return rep, false, err
}

func (a *Action) systemd(ctx context.Context, unit string) (action.Report, error) {
	var rep action.Report
	bus, err := a.bus(ctx)
	if err != nil {
		return rep, fmt.Errorf("systemd: connecting to D-Bus: %w", err)
	}
	defer bus.Close()
	done := make(chan string, 1)
	if _, err := bus.RestartUnitContext(ctx, unit, "replace", done); err != nil {
		return rep, fmt.Errorf("systemd: restart %s: %w", unit, err)
	}
	var job string
	select {
	case job = <-done:
	case <-ctx.Done():
		return rep, fmt.Errorf("systemd: restart %s: %w", unit, ctx.Err())
	}
	result := ""
	if p, err := bus.GetUnitPropertyContext(ctx, unit, "Result"); err == nil {
		result, _ = p.Value.Value().(string)
	}
	rep.Output = fmt.Sprintf("job %s, unit result %s", job, result)
	switch {
	case result == "start-limit-hit":
		return rep, fmt.Errorf("systemd: %s hit its start limit (StartLimitBurst); it will not start until `systemctl reset-failed %s`", unit, unit)
	case job != "done":
		return rep, fmt.Errorf("systemd: restart %s: job %s (unit result %s)", unit, job, result)
	case result != "" && !slices.Contains([]string{"success"}, result):
		return rep, fmt.Errorf("systemd: %s restarted with result %s", unit, result)
	}
	return rep, nil
}
