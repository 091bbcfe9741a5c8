package remediate

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/remediate/diagnostics"
	"github.com/golive-ops/golive/receiver/remediate/execaction"
	"github.com/golive-ops/golive/receiver/remediate/haproxyaction"
	"github.com/golive-ops/golive/receiver/remediate/httpaction"
	"github.com/golive-ops/golive/receiver/remediate/pgfailover"
	"github.com/golive-ops/golive/receiver/remediate/restart"
	"github.com/golive-ops/golive/receiver/remediate/warroom"
)

// KindSettings holds one block per action kind; ActionConfig inlines it,
// so `kind: exec` goes with an `exec:` block.
type KindSettings struct {
	Exec             *execaction.Config    `yaml:"exec,omitempty"`
	HTTP             *httpaction.Config    `yaml:"http,omitempty"`
	Diagnostics      *diagnostics.Config   `yaml:"diagnostics,omitempty"`
	WarRoom          *warroom.Config       `yaml:"war_room,omitempty"`
	ServiceRestart   *restart.Config       `yaml:"service_restart,omitempty"`
	HAProxy          *haproxyaction.Config `yaml:"haproxy,omitempty"`
	PostgresFailover *pgfailover.Config    `yaml:"postgres_failover,omitempty"`
}

// kind is one line of the wiring table: whether an action's block for
// the kind is set, how to validate it, and how to build the action.
type kind struct {
	set      func(*KindSettings) bool
	validate func(s *KindSettings, field string) error
	build    func(*KindSettings) (action.Action, error)
	// relative resolves the block's file paths against the config's
	// directory (nil: it has none).
	relative func(s *KindSettings, join func(*string))
}

// destructive kinds wait for approval unless the action says
// `approval: none`: a failover cannot be taken back.
var destructive = map[string]bool{"postgres_failover": true}

// kinds is the wiring table, one line per kind (Alertmanager's
// config/receiver/receiver.go). Each kind lives in its own package with
// its Config, Validate and constructor.
var kinds = map[string]kind{
	"exec": {func(s *KindSettings) bool { return s.Exec != nil },
		func(s *KindSettings, f string) error { return s.Exec.Validate(f) },
		func(s *KindSettings) (action.Action, error) { return execaction.New(*s.Exec) },
		func(s *KindSettings, join func(*string)) {
			join(&s.Exec.Dir)
			for k, f := range s.Exec.EnvFiles {
				join(&f)
				s.Exec.EnvFiles[k] = f
			}
		}},
	"http": {func(s *KindSettings) bool { return s.HTTP != nil },
		func(s *KindSettings, f string) error { return s.HTTP.Validate(f) },
		func(s *KindSettings) (action.Action, error) { return httpaction.New(*s.HTTP) },
		func(s *KindSettings, join func(*string)) {
			join(&s.HTTP.BearerTokenFile)
			if s.HTTP.BasicAuth != nil {
				join(&s.HTTP.BasicAuth.PasswordFile)
			}
		}},
	"diagnostics": {func(s *KindSettings) bool { return s.Diagnostics != nil },
		func(s *KindSettings, f string) error { return s.Diagnostics.Validate(f) },
		func(s *KindSettings) (action.Action, error) { return diagnostics.New(*s.Diagnostics) },
		func(s *KindSettings, join func(*string)) {
			for i := range s.Diagnostics.LogFiles {
				join(&s.Diagnostics.LogFiles[i])
			}
		}},
	"war_room": {func(s *KindSettings) bool { return s.WarRoom != nil },
		func(s *KindSettings, f string) error { return s.WarRoom.Validate(f) },
		func(s *KindSettings) (action.Action, error) { return warroom.New(*s.WarRoom) },
		func(s *KindSettings, join func(*string)) {
			join(&s.WarRoom.BotTokenFile)
			join(&s.WarRoom.FallbackWebhookURLFile)
		}},
	"service_restart": {func(s *KindSettings) bool { return s.ServiceRestart != nil },
		func(s *KindSettings, f string) error { return s.ServiceRestart.Validate(f) },
		func(s *KindSettings) (action.Action, error) { return restart.New(*s.ServiceRestart) },
		nil},
	"haproxy": {func(s *KindSettings) bool { return s.HAProxy != nil },
		func(s *KindSettings, f string) error { return s.HAProxy.Validate(f) },
		func(s *KindSettings) (action.Action, error) { return haproxyaction.New(*s.HAProxy) },
		nil},
	"postgres_failover": {func(s *KindSettings) bool { return s.PostgresFailover != nil },
		func(s *KindSettings, f string) error { return s.PostgresFailover.Validate(f) },
		func(s *KindSettings) (action.Action, error) { return pgfailover.New(*s.PostgresFailover) },
		func(s *KindSettings, join func(*string)) { s.PostgresFailover.RelativeTo(join) }},
}

// KindNames lists the kinds, sorted.
func KindNames() []string {
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func validateKind(a *ActionConfig, field string) error {
	k, ok := kinds[a.Kind]
	if !ok {
		return fmt.Errorf("%s.kind: %q is not one of %v", field, a.Kind, KindNames())
	}
	for name, other := range kinds {
		if name != a.Kind && other.set(&a.KindSettings) {
			return fmt.Errorf("%s.%s: set, but kind is %s; an action has one kind", field, name, a.Kind)
		}
	}
	if !k.set(&a.KindSettings) {
		return fmt.Errorf("%s.%s: required for kind %s", field, a.Kind, a.Kind)
	}
	if err := k.validate(&a.KindSettings, field+"."+a.Kind); err != nil {
		return err
	}
	if a.Approval == "" && destructive[a.Kind] {
		a.Approval = "required"
	}
	if a.Kind == "service_restart" && a.Verify == nil {
		return fmt.Errorf("%s.verify: required for service_restart: a restart succeeds only when its post-check passes", field)
	}
	return nil
}

func buildAction(a *ActionConfig) (action.Action, error) {
	k, ok := kinds[a.Kind]
	if !ok {
		return nil, fmt.Errorf("kind %q is not one of %v", a.Kind, KindNames())
	}
	return k.build(&a.KindSettings)
}

func relativeTo(a *ActionConfig, dir string) {
	k, ok := kinds[a.Kind]
	if !ok || k.relative == nil || !k.set(&a.KindSettings) {
		return
	}
	k.relative(&a.KindSettings, func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	})
}
