// Package gate serves rollout gates from the receiver: it gathers the
// evidence for internal/gate's engine (firing alerts and open incidents from
// the receiver's store, PromQL values from Prometheus), stores every
// decision with its inputs, caches it briefly so a burst of callers costs one
// round of queries, and answers the native, Flagger and Argo Rollouts
// endpoints as thin adapters over the one engine.
package gate

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"
	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/yamlx"
	"github.com/golive-ops/golive/receiver/store"
)

// Defaults.
const (
	DefaultQueryTimeout = 5 * time.Second
	DefaultMinInterval  = 5 * time.Second
)

// Section is the receiver config's `prometheus:` and `gates:` (inlined in
// receiver/config.Config).
type Section struct {
	Prometheus *Prometheus `yaml:"prometheus,omitempty"`
	Gates      []Config    `yaml:"gates,omitempty"`
}

// Prometheus is where gate checks run their queries.
type Prometheus struct {
	URL string `yaml:"url"`
	// Timeout bounds each instant query (sent to Prometheus as the query
	// timeout too). Flagger and Argo wait 10s by default: stay below.
	Timeout model.Duration `yaml:"timeout"`
	// HTTPConfig is Prometheus's own client config: basic_auth,
	// authorization, oauth2, tls_config, proxy_url...
	HTTPConfig commoncfg.HTTPClientConfig `yaml:"http_config"`
}

// UnmarshalYAML fills the defaults and decodes strictly.
func (p *Prometheus) UnmarshalYAML(n *yaml.Node) error {
	type plain Prometheus
	*p = Prometheus{Timeout: model.Duration(DefaultQueryTimeout), HTTPConfig: commoncfg.DefaultHTTPClientConfig}
	return yamlx.DecodeStrict(n, (*plain)(p))
}

// Config is one gate.
type Config struct {
	Name string `yaml:"name"`
	// Alerts are Alertmanager matchers selecting the firing alerts the
	// gate watches (none: alerts are not consulted).
	Alerts    []string   `yaml:"alerts,omitempty"`
	Incidents *Incidents `yaml:"incidents,omitempty"`
	Checks    []Check    `yaml:"checks,omitempty"`
	// MinTraffic: below it, checks with needs_traffic hold.
	MinTraffic *MinTraffic `yaml:"min_traffic,omitempty"`
	// Consecutive breaches in a row before a check's on_breach applies.
	Consecutive int `yaml:"consecutive,omitempty"`
	// TokenFile holds the token callers present (bearer header, ?token= or
	// Flagger's metadata.token). Without it the receiver's auth applies.
	TokenFile string `yaml:"token_file,omitempty"`
	// MinInterval: the gate is evaluated at most once per interval; callers
	// within it get the stored decision.
	MinInterval model.Duration `yaml:"min_interval,omitempty"`
	// RequireReadiness: hold unless the latest readiness report is ready.
	RequireReadiness bool `yaml:"require_readiness,omitempty"`
}

// UnmarshalYAML decodes strictly.
func (g *Config) UnmarshalYAML(n *yaml.Node) error {
	type plain Config
	return yamlx.DecodeStrict(n, (*plain)(g))
}

// Incidents selects open incidents that roll the gate back.
type Incidents struct {
	AtOrAbove store.Priority `yaml:"at_or_above"`
	// Matchers select incidents by their labels, or by any of their firing
	// alerts; none means the gate's alert matchers (and with those empty,
	// every incident).
	Matchers []string `yaml:"matchers,omitempty"`
}

// Check is one PromQL threshold.
type Check struct {
	Name      string   `yaml:"name"`
	Query     string   `yaml:"query"`
	Op        string   `yaml:"op"`
	Threshold *float64 `yaml:"threshold"`
	// OnBreach is hold (default) or rollback.
	OnBreach     string `yaml:"on_breach,omitempty"`
	ObserveOnly  bool   `yaml:"observe_only,omitempty"`
	NeedsTraffic bool   `yaml:"needs_traffic,omitempty"`
}

// UnmarshalYAML decodes strictly.
func (c *Check) UnmarshalYAML(n *yaml.Node) error {
	type plain Check
	return yamlx.DecodeStrict(n, (*plain)(c))
}

// MinTraffic is the traffic floor of ratio checks.
type MinTraffic struct {
	Query     string   `yaml:"query"`
	Threshold *float64 `yaml:"threshold"`
}

// reservedNames are path segments the gate routes use.
var reservedNames = []string{"decisions", "flagger", "argo"}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Validate checks every field; errors start with the field path, which
// yamlx's Document.Locate turns into the line of the file.
func (s *Section) Validate() error {
	if p := s.Prometheus; p != nil {
		if _, err := promclient.ParseURL(p.URL); err != nil {
			return fmt.Errorf("%s: %w", "prometheus.url", err)
		}
		if p.Timeout <= 0 || time.Duration(p.Timeout) > time.Minute {
			return fmt.Errorf("%s: %s must be between 0 and 1m", "prometheus.timeout", p.Timeout)
		}
		if err := p.HTTPConfig.Validate(); err != nil {
			return fmt.Errorf("%s: %w", "prometheus.http_config", err)
		}
	}
	seen := map[string]bool{}
	for i := range s.Gates {
		g := &s.Gates[i]
		field := fmt.Sprintf("gates[%d]", i)
		if !nameRE.MatchString(g.Name) || slices.Contains(reservedNames, g.Name) {
			return fmt.Errorf("%s: %q must be 1-63 letters, digits, '_', '.', '-' and not one of %v", field+".name", g.Name, reservedNames)
		}
		if seen[g.Name] {
			return fmt.Errorf("%s: gate %q is defined twice", field+".name", g.Name)
		}
		seen[g.Name] = true
		if err := g.validate(field, s.Prometheus != nil); err != nil {
			return err
		}
	}
	return nil
}

func (g *Config) validate(field string, havePrometheus bool) error {
	if _, err := parseMatchers(g.Alerts); err != nil {
		return fmt.Errorf("%s: %w", field+".alerts", err)
	}
	if inc := g.Incidents; inc != nil {
		if !inc.AtOrAbove.Valid() {
			return fmt.Errorf("%s: %q is not one of P0, P1, P2, P3", field+".incidents.at_or_above", inc.AtOrAbove)
		}
		if _, err := parseMatchers(inc.Matchers); err != nil {
			return fmt.Errorf("%s: %w", field+".incidents.matchers", err)
		}
	}
	if g.Consecutive < 0 {
		return fmt.Errorf("%s: %d is negative", field+".consecutive", g.Consecutive)
	}
	if g.MinInterval < 0 {
		return fmt.Errorf("%s: must not be negative", field+".min_interval")
	}
	if g.MinInterval == 0 {
		g.MinInterval = model.Duration(DefaultMinInterval)
	}
	if (len(g.Checks) > 0 || g.MinTraffic != nil) && !havePrometheus {
		return fmt.Errorf("%s: checks need a prometheus section with the url to query", field+".checks")
	}
	names := map[string]bool{}
	needsTraffic := false
	for j := range g.Checks {
		c := &g.Checks[j]
		cf := fmt.Sprintf("%s.checks[%d]", field, j)
		if !nameRE.MatchString(c.Name) {
			return fmt.Errorf("%s: %q must be 1-63 letters, digits, '_', '.', '-'", cf+".name", c.Name)
		}
		if names[c.Name] {
			return fmt.Errorf("%s: check %q is defined twice in this gate", cf+".name", c.Name)
		}
		names[c.Name] = true
		if err := validQuery(c.Query); err != nil {
			return fmt.Errorf("%s: %w", cf+".query", err)
		}
		if _, err := engine.ParseOp(c.Op); err != nil {
			return fmt.Errorf("%s: %w", cf+".op", err)
		}
		if err := validThreshold(c.Threshold); err != nil {
			return fmt.Errorf("%s: %w", cf+".threshold", err)
		}
		switch c.OnBreach {
		case "":
			c.OnBreach = string(engine.Hold)
		case string(engine.Hold), string(engine.Rollback):
		default:
			return fmt.Errorf("%s: %q is not hold or rollback", cf+".on_breach", c.OnBreach)
		}
		needsTraffic = needsTraffic || c.NeedsTraffic
	}
	if mt := g.MinTraffic; mt != nil {
		if err := validQuery(mt.Query); err != nil {
			return fmt.Errorf("%s: %w", field+".min_traffic.query", err)
		}
		if err := validThreshold(mt.Threshold); err != nil {
			return fmt.Errorf("%s: %w", field+".min_traffic.threshold", err)
		}
		if !needsTraffic {
			return fmt.Errorf("%s: no check has needs_traffic: true, so the floor would never apply", field+".min_traffic")
		}
	}
	return nil
}

func validQuery(q string) error {
	if q == "" {
		return errors.New("a PromQL query is required")
	}
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(q)
	if err != nil {
		return fmt.Errorf("bad PromQL %q: %w", q, err)
	}
	if t := expr.Type(); t != parser.ValueTypeVector && t != parser.ValueTypeScalar {
		return fmt.Errorf("PromQL %q returns a %s; a gate needs an instant vector or a scalar", q, t)
	}
	return nil
}

func validThreshold(t *float64) error {
	switch {
	case t == nil:
		return errors.New("a threshold is required")
	case math.IsNaN(*t) || math.IsInf(*t, 0):
		return fmt.Errorf("%v is not a finite number", *t)
	}
	return nil
}

func parseMatchers(ss []string) ([]*labels.Matcher, error) {
	out := make([]*labels.Matcher, 0, len(ss))
	for i, s := range ss {
		m, err := labels.ParseMatcher(s)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %q: %w", i, s, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// RelativeTo resolves relative file paths against the config's directory.
func (s *Section) RelativeTo(dir string) {
	if s.Prometheus != nil {
		s.Prometheus.HTTPConfig.SetDirectory(dir)
	}
	for i := range s.Gates {
		if f := s.Gates[i].TokenFile; f != "" && !filepath.IsAbs(f) {
			s.Gates[i].TokenFile = filepath.Join(dir, f)
		}
	}
}

// spec is the engine's view of the gate.
func (g Config) spec() engine.Spec {
	s := engine.Spec{Name: g.Name, Alerts: len(g.Alerts) > 0, Consecutive: g.Consecutive, RequireReadiness: g.RequireReadiness}
	if g.Incidents != nil {
		s.IncidentsAtOrAbove = string(g.Incidents.AtOrAbove)
	}
	for _, c := range g.Checks {
		s.Checks = append(s.Checks, engine.Check{Name: c.Name, Query: c.Query, Op: engine.Op(c.Op), Threshold: *c.Threshold,
			OnBreach: engine.Decision(c.OnBreach), ObserveOnly: c.ObserveOnly, NeedsTraffic: c.NeedsTraffic})
	}
	if mt := g.MinTraffic; mt != nil {
		s.MinTraffic = &engine.MinTraffic{Query: mt.Query, Threshold: *mt.Threshold}
	}
	return s
}
