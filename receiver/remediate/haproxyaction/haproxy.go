// Package haproxyaction is the `haproxy` remediation kind: set servers of
// one backend ready (activate a backup server), drain or maintenance
// (take a failing server out) through HAProxy's runtime API, then read the
// backend back and fail unless every server shows what was set.
//
// HAProxy's own answer is the verdict on a name: a server it does not know
// fails the attempt with "No such server." in the timeline, instead of a
// local guess about its configuration.
package haproxyaction

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/receiver/remediate/action"
)

// Config is an haproxy action.
type Config struct {
	// Socket is the runtime API at level admin: unix:/run/haproxy/admin.sock
	// or tcp:host:port.
	Socket string `yaml:"socket"`
	// Backend may use a {name} substitution (e.g. "{service}").
	Backend string `yaml:"backend"`
	// Servers are set in order; each name may use a substitution.
	Servers       []Server             `yaml:"servers"`
	Substitutions action.Substitutions `yaml:"substitutions,omitempty"`
	Timeout       model.Duration       `yaml:"timeout,omitempty"` // per command, default 5s
}

// Server is one server's new state, and optionally its weight.
type Server struct {
	Name   string `yaml:"name"`
	State  string `yaml:"state"` // ready, drain or maint
	Weight *int   `yaml:"weight,omitempty"`
}

// Validate checks c; names without substitutions must be valid HAProxy
// names, and every rendered name is checked again at plan time.
func (c *Config) Validate(field string) error {
	if _, _, err := haproxy.ParseAddress(c.Socket); err != nil {
		return fmt.Errorf("%s.socket: %w", field, err)
	}
	if c.Backend == "" {
		return fmt.Errorf("%s.backend: required", field)
	}
	if !action.HasPlaceholder(c.Backend) && !haproxy.ValidName(c.Backend) {
		return fmt.Errorf("%s.backend: %q is not a valid HAProxy name (letters, digits, '-', '_', '.', ':')", field, c.Backend)
	}
	if len(c.Servers) == 0 {
		return fmt.Errorf("%s.servers: required: at least one server and its state", field)
	}
	templates := map[string]string{"backend": c.Backend}
	for i, s := range c.Servers {
		f := fmt.Sprintf("%s.servers[%d]", field, i)
		if s.Name == "" {
			return fmt.Errorf("%s.name: required", f)
		}
		if !action.HasPlaceholder(s.Name) && !haproxy.ValidName(s.Name) {
			return fmt.Errorf("%s.name: %q is not a valid HAProxy name (letters, digits, '-', '_', '.', ':')", f, s.Name)
		}
		if _, err := haproxy.ParseState(s.State); err != nil {
			return fmt.Errorf("%s.state: %w", f, err)
		}
		if s.Weight != nil && (*s.Weight < 0 || *s.Weight > haproxy.MaxWeight) {
			return fmt.Errorf("%s.weight: %d is not between 0 and %d", f, *s.Weight, haproxy.MaxWeight)
		}
		templates[f[len(field)+1:]+".name"] = s.Name
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%s.timeout: cannot be negative", field)
	}
	return c.Substitutions.Compile(field, templates)
}

// Action is a configured haproxy action.
type Action struct {
	c      Config
	client *haproxy.Client
}

// New returns the action (it connects only when it runs).
func New(c Config) (*Action, error) {
	client, err := haproxy.New(c.Socket, time.Duration(c.Timeout))
	if err != nil {
		return nil, fmt.Errorf("haproxy.socket: %w", err)
	}
	return &Action{c: c, client: client}, nil
}

// Idempotent implements action.Action: setting a state twice leaves it
// as once.
func (a *Action) Idempotent() bool { return true }

// Plan implements action.Action: the commands, one per line of
// Detail["commands"], exactly as they are sent.
func (a *Action) Plan(t action.Trigger) (action.Request, error) {
	vals, err := a.c.Substitutions.Values(t.Labels)
	if err != nil {
		return action.Request{}, err
	}
	backend := action.Expand(a.c.Backend, vals, nil)
	if !haproxy.ValidName(backend) {
		return action.Request{}, fmt.Errorf("%w: backend %q is not a valid HAProxy name", action.ErrRefused, backend)
	}
	var cmds []string
	for _, s := range a.c.Servers {
		name := action.Expand(s.Name, vals, nil)
		if !haproxy.ValidName(name) {
			return action.Request{}, fmt.Errorf("%w: server %q is not a valid HAProxy name", action.ErrRefused, name)
		}
		if s.Weight != nil {
			cmds = append(cmds, fmt.Sprintf("set server %s/%s weight %d", backend, name, *s.Weight))
		}
		cmds = append(cmds, fmt.Sprintf("set server %s/%s state %s", backend, name, s.State))
	}
	return action.Request{Detail: map[string]string{
		"socket": a.client.String(), "backend": backend, "commands": strings.Join(cmds, "\n")}}, nil
}

// Run implements action.Action: it sends the planned commands, then reads
// the backend back. HAProxy refusing a command (an unknown server) is not
// retried; HAProxy unreachable is.
func (a *Action) Run(ctx context.Context, r action.Request) (rep action.Report, retry bool, err error) {
	start := time.Now()
	var out strings.Builder
	backend := r.Detail["backend"]
	defer func() { rep.Duration, rep.Output = time.Since(start), out.String() }()

	before, err := a.client.ServersState(ctx, backend)
	if err != nil {
		return rep, retryable(err), err
	}
	want := map[string]Server{}
	for _, cmd := range strings.Split(r.Detail["commands"], "\n") {
		be, srv, setting, value, err := parse(cmd)
		if err != nil || be != backend {
			return rep, false, fmt.Errorf("haproxy: planned command %q is malformed", cmd)
		}
		w := want[srv]
		w.Name = srv
		switch setting {
		case "weight":
			n := 0
			_, _ = fmt.Sscanf(value, "%d", &n)
			w.Weight = &n
			err = a.client.SetWeight(ctx, backend, srv, n)
		case "state":
			w.State = value
			err = a.client.SetState(ctx, backend, srv, haproxy.State(value))
		}
		want[srv] = w
		if err != nil {
			fmt.Fprintf(&out, "%s: %v\n", cmd, err)
			return rep, retryable(err), err
		}
		fmt.Fprintf(&out, "%s: done (was %s)\n", cmd, describe(before, srv))
	}
	after, err := a.client.Snapshot(ctx, backend, keys(want)...)
	if err != nil {
		return rep, retryable(err), fmt.Errorf("read back after change: %w", err)
	}
	for _, n := range keys(want) {
		w, got := want[n], after[n]
		fmt.Fprintf(&out, "read back %s/%s: state %s weight %d\n", backend, n, got.State, got.Weight)
		if (w.State != "" && string(got.State) != w.State) || (w.Weight != nil && got.Weight != *w.Weight) {
			return rep, false, fmt.Errorf("haproxy %s: read back %s/%s as state %s weight %d, not what was set", a.client, backend, n, got.State, got.Weight)
		}
	}
	return rep, false, nil
}

// parse splits "set server be/srv state maint" (a line Plan wrote).
func parse(cmd string) (backend, server, setting, value string, err error) {
	f := strings.Fields(cmd)
	if len(f) != 5 || f[0] != "set" || f[1] != "server" || (f[3] != "state" && f[3] != "weight") {
		return "", "", "", "", errors.New("malformed")
	}
	be, srv, ok := strings.Cut(f[2], "/")
	if !ok {
		return "", "", "", "", errors.New("malformed")
	}
	return be, srv, f[3], f[4], nil
}

func describe(servers []haproxy.Server, name string) string {
	for _, s := range servers {
		if s.Name == name {
			return fmt.Sprintf("state %s weight %d", s.State(), s.Weight)
		}
	}
	return "not in show servers state"
}

func keys(m map[string]Server) []string { return slices.Sorted(maps.Keys(m)) }

// retryable: HAProxy unreachable or slow may answer next time; HAProxy
// saying no will say no again.
func retryable(err error) bool {
	if errors.Is(err, haproxy.ErrCommand) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}
