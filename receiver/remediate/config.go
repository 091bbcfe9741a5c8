package remediate

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/exporter/prober"
	"github.com/golive-ops/golive/internal/probemodule"
	"github.com/golive-ops/golive/internal/yamlx"
)

// Config is the remediation section of receiver.yml.
type Config struct {
	// DryRun makes every action a dry run: the plan is recorded, nothing
	// runs.
	DryRun bool `yaml:"dry_run,omitempty"`
	// RateLimit caps attempts that run, over every action (the global
	// circuit breaker); beyond it, actions are skipped and escalated.
	RateLimit RateLimit `yaml:"rate_limit,omitempty"`
	// ApprovalExpiry is how long an approval request stays open (default
	// 1h); then it lapses.
	ApprovalExpiry model.Duration `yaml:"approval_expiry,omitempty"`
	// EscalateChannels receive "a person is needed" notifications (budget
	// exhausted, post-check failed, outcome unknown, approval needed).
	// Empty: the notify routes of the incident's priority for event
	// "escalated".
	EscalateChannels []string `yaml:"escalate_channels,omitempty"`
	// ExporterConfig is an exporter config file (relative to this file)
	// whose modules verify.probe may name: the modules monitoring probes
	// with, so a post-check sees what monitoring sees.
	ExporterConfig string `yaml:"exporter_config,omitempty"`
	// Modules are remediation's own prober modules, in the exporter
	// config's syntax; a name the exporter config defines too is refused.
	Modules map[string]prober.Module `yaml:"modules,omitempty"`
	Actions []ActionConfig           `yaml:"actions,omitempty"`
}

// RateLimit is at most Max attempts per Per.
type RateLimit struct {
	Max int            `yaml:"max,omitempty"` // default 20
	Per model.Duration `yaml:"per,omitempty"` // default 1h
}

// ActionConfig is one policy entry: when it applies, what it does (kind
// and the block of the same name), and its guardrails.
type ActionConfig struct {
	Name string `yaml:"name"`
	When When   `yaml:"when"`
	Kind string `yaml:"kind"`
	// One block per kind; exactly the one named by Kind is set. Adding a
	// kind adds a field here and a line in the kinds table (kinds.go).
	KindSettings `yaml:",inline"`
	// Target names the labels whose value is what this action acts on,
	// for budgets per target: "a|b" takes the first present (default
	// "service|instance", as incidents.group_by).
	Target   string         `yaml:"target,omitempty"`
	Cooldown model.Duration `yaml:"cooldown,omitempty"`
	// MaxAttempts are budgets; 0 is unlimited.
	MaxAttempts Budget `yaml:"max_attempts,omitempty"`
	// Approval is "required" or "none" (default none).
	Approval string `yaml:"approval,omitempty"`
	DryRun   bool   `yaml:"dry_run,omitempty"`
	// Verify is the post-check that decides success.
	Verify *Verify `yaml:"verify,omitempty"`
}

// When selects incident changes.
type When struct {
	Priorities []string `yaml:"priorities"`
	// Matchers in Alertmanager's syntax, on the trigger's labels.
	Matchers []string `yaml:"matchers,omitempty"`
	// Changes: opened, escalated, reopened (default all three).
	Changes  []string `yaml:"changes,omitempty"`
	matchers labels.Matchers
}

// Budget bounds attempts per incident cycle and per target over Window.
type Budget struct {
	PerIncident int            `yaml:"per_incident,omitempty"`
	PerTarget   int            `yaml:"per_target,omitempty"`
	Window      model.Duration `yaml:"window,omitempty"` // default 1h
}

// Verify is the post-check: after Delay, GET URL until it answers one of
// Status (default 2xx), or run Probe, until it succeeds or Timeout passes.
// Exactly one of URL and Probe.
type Verify struct {
	URL     string         `yaml:"url,omitempty"`
	Status  []int          `yaml:"status,omitempty"`
	Probe   *Probe         `yaml:"probe,omitempty"`
	Delay   model.Duration `yaml:"delay,omitempty"`
	Timeout model.Duration `yaml:"timeout,omitempty"` // default 30s
}

// Probe is one blackbox-style probe, run in-process by the exporter's
// prober exactly as /probe?module=&target= would run it: it succeeds when
// probe_success would be 1. Module is one of remediation.modules or of
// remediation.exporter_config's modules.
type Probe struct {
	Module string `yaml:"module"`
	Target string `yaml:"target"`
}

// Changes an action can be triggered by.
var Changes = []string{"opened", "escalated", "reopened"}

var priorities = []string{"P0", "P1", "P2", "P3"}

// UnmarshalYAML decodes strictly and validates what needs no other
// section; Validate(channels) checks references.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	// The defaults' modules serve the defaults' actions: a section with
	// its own actions, modules or exporter config replaces them, as it
	// replaces the actions (merged, a default http_2xx would clash with
	// the exporter config's).
	if value.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(value.Content); i += 2 {
			switch value.Content[i].Value {
			case "modules", "actions", "exporter_config":
				c.Modules = nil
			}
		}
	}
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	return c.validate()
}

// Validate checks the section against the notification channels that
// exist. Errors name the field.
func (c *Config) Validate(channels []string) error {
	if err := c.validate(); err != nil {
		return err
	}
	for i, ch := range c.EscalateChannels {
		if !slices.Contains(channels, ch) {
			return fmt.Errorf("remediation.escalate_channels[%d]: channel %q is not defined in notify.channels", i, ch)
		}
	}
	return nil
}

func (c *Config) validate() error {
	if c.RateLimit.Max < 0 || c.RateLimit.Per < 0 || c.ApprovalExpiry < 0 {
		return errors.New("remediation: rate_limit and approval_expiry cannot be negative")
	}
	seen := map[string]bool{}
	for i := range c.Actions {
		a := &c.Actions[i]
		field := fmt.Sprintf("remediation.actions[%d]", i)
		if a.Name == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		if strings.ContainsAny(a.Name, "/ \t\n") {
			return fmt.Errorf("%s.name: %q may not contain / or spaces", field, a.Name)
		}
		if seen[a.Name] {
			return fmt.Errorf("%s.name: duplicate action name %q", field, a.Name)
		}
		seen[a.Name] = true
		if err := a.validate(field); err != nil {
			return err
		}
	}
	if c.ExporterConfig == "" {
		// Every module is known already; with an exporter config, Load
		// checks once the file's path is resolved (ProbeModules).
		_, err := c.ProbeModules()
		return err
	}
	return nil
}

// ProbeModules are the modules verify.probe may name: the exporter
// config's and remediation's own. It fails when the exporter config does
// not load, when a name is defined in both, or when an action's
// verify.probe.module is neither.
func (c *Config) ProbeModules() (probemodule.Set, error) {
	set, err := probemodule.FromExporterConfig(c.ExporterConfig)
	if err != nil {
		return nil, fmt.Errorf("remediation.exporter_config: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Modules)) {
		if err := set.Add(name, c.Modules[name]); err != nil {
			return nil, fmt.Errorf("remediation.modules.%s: %w", name, err)
		}
	}
	from := "remediation.modules"
	if c.ExporterConfig != "" {
		from += " or remediation.exporter_config"
	}
	for i, a := range c.Actions {
		if a.Verify == nil || a.Verify.Probe == nil {
			continue
		}
		if _, err := set.Lookup(a.Verify.Probe.Module, from); err != nil {
			return nil, fmt.Errorf("remediation.actions[%d].verify.probe.module: %w", i, err)
		}
	}
	return set, nil
}

func (a *ActionConfig) validate(field string) error {
	if err := a.When.validate(field + ".when"); err != nil {
		return err
	}
	if err := validateKind(a, field); err != nil {
		return err
	}
	switch a.Approval {
	case "", "none", "required":
	default:
		return fmt.Errorf("%s.approval: %q is neither required nor none", field, a.Approval)
	}
	if a.Cooldown < 0 || a.MaxAttempts.PerIncident < 0 || a.MaxAttempts.PerTarget < 0 || a.MaxAttempts.Window < 0 {
		return fmt.Errorf("%s: cooldown and max_attempts cannot be negative", field)
	}
	if a.Cooldown == 0 && a.MaxAttempts.PerIncident == 0 && a.MaxAttempts.PerTarget == 0 {
		return fmt.Errorf("%s.cooldown: 0 with unlimited max_attempts would act on every change; set a cooldown or max_attempts", field)
	}
	if v := a.Verify; v != nil {
		switch {
		case (v.URL == "") == (v.Probe == nil):
			return fmt.Errorf("%s.verify: exactly one of url and probe", field)
		case v.Probe != nil:
			if v.Probe.Module == "" || v.Probe.Target == "" {
				return fmt.Errorf("%s.verify.probe: module and target are required", field)
			}
		case !strings.HasPrefix(v.URL, "http://") && !strings.HasPrefix(v.URL, "https://"):
			return fmt.Errorf("%s.verify.url: %q is not an http(s) URL", field, v.URL)
		}
		for j, s := range v.Status {
			if s < 100 || s > 599 {
				return fmt.Errorf("%s.verify.status[%d]: %d is not an HTTP status code", field, j, s)
			}
		}
		if v.Delay < 0 || v.Timeout < 0 {
			return fmt.Errorf("%s.verify: delay and timeout cannot be negative", field)
		}
	}
	return nil
}

func (w *When) validate(field string) error {
	if len(w.Priorities) == 0 {
		return fmt.Errorf("%s.priorities: required (P0, P1, P2, P3)", field)
	}
	for i, p := range w.Priorities {
		if !slices.Contains(priorities, p) {
			return fmt.Errorf("%s.priorities[%d]: %q is not one of P0, P1, P2, P3", field, i, p)
		}
	}
	for i, ch := range w.Changes {
		if !slices.Contains(Changes, ch) {
			return fmt.Errorf("%s.changes[%d]: %q is not one of opened, escalated, reopened", field, i, ch)
		}
	}
	w.matchers = nil
	for i, m := range w.Matchers {
		parsed, err := labels.ParseMatcher(m)
		if err != nil {
			return fmt.Errorf("%s.matchers[%d]: %w", field, i, err)
		}
		w.matchers = append(w.matchers, parsed)
	}
	return nil
}

// Matches reports whether a change of kind to an incident of priority p
// with labels ls is selected.
func (w *When) Matches(p, change string, ls map[string]string) bool {
	if !slices.Contains(w.Priorities, p) {
		return false
	}
	changes := w.Changes
	if len(changes) == 0 {
		changes = Changes
	}
	if !slices.Contains(changes, change) {
		return false
	}
	return w.matchers.Matches(model.LabelSet(toLabelSet(ls)))
}

func toLabelSet(ls map[string]string) model.LabelSet {
	out := make(model.LabelSet, len(ls))
	for k, v := range ls {
		out[model.LabelName(k)] = model.LabelValue(v)
	}
	return out
}

// defaults fill what zero means.
func (c Config) rateLimit() (int, time.Duration) {
	limit, per := c.RateLimit.Max, time.Duration(c.RateLimit.Per)
	if limit == 0 {
		limit = 20
	}
	if per == 0 {
		per = time.Hour
	}
	return limit, per
}

func (c Config) approvalExpiry() time.Duration {
	if c.ApprovalExpiry == 0 {
		return time.Hour
	}
	return time.Duration(c.ApprovalExpiry)
}

func (b Budget) window() time.Duration {
	if b.Window == 0 {
		return time.Hour
	}
	return time.Duration(b.Window)
}

// RelativeTo resolves the kinds' relative file paths against dir (the
// config file's directory).
func (c *Config) RelativeTo(dir string) {
	if c.ExporterConfig != "" && !filepath.IsAbs(c.ExporterConfig) {
		c.ExporterConfig = filepath.Join(dir, c.ExporterConfig)
	}
	for i := range c.Actions {
		relativeTo(&c.Actions[i], dir)
	}
}
