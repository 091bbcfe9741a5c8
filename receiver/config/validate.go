package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"

	"github.com/golive-ops/golive/receiver/store"
)

// Validate checks every field and fills derived defaults (the SQLite path
// when no storage is configured). Errors name the field.
func (c *Config) Validate() error {
	for _, check := range []func() error{c.validateStorage, c.validateWebhook, c.validateAuth,
		c.validateIncidents, c.validateGrading, c.validateSLA, c.validateOnCall, c.Gate.Validate, c.validateRemediation, c.validateReport} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateStorage() error {
	s := &c.Storage
	if s.Timeout <= 0 {
		return errors.New("storage.timeout: must be positive")
	}
	switch {
	case s.SQLite != nil && s.Postgres != nil:
		return errors.New("storage: set sqlite or postgres, not both")
	case s.Postgres != nil:
		p := s.Postgres
		if p.DSN != "" && p.DSNFile != "" {
			return errors.New("storage.postgres: set dsn or dsn_file, not both")
		}
		if p.DSN == "" && p.DSNFile == "" {
			return errors.New("storage.postgres: dsn_file (or dsn) is required")
		}
		if p.MaxConns < 0 || p.MaxConns > MaxConns {
			return fmt.Errorf("storage.postgres.max_conns: %d is not between 0 (the default) and %d", p.MaxConns, MaxConns)
		}
	case s.SQLite == nil:
		s.SQLite = &SQLite{Path: DefaultPath}
	case s.SQLite.Path == "":
		s.SQLite.Path = DefaultPath
	}
	return nil
}

// Upper bounds of the sizes a config can set: far above any real use, low
// enough that a typo cannot make one webhook cost gigabytes.
const (
	MaxBodyBytes  = 256 << 20
	MaxAlerts     = 1_000_000
	MaxLabels     = 10_000
	MaxValueBytes = 1 << 20
	// MaxInFlightBytes bounds webhook.max_in_flight_bytes.
	MaxInFlightBytes = 4 << 30
	MaxConns         = 1000
)

// reservedPaths are routes the webhook path must not shadow.
var reservedPaths = []string{"/metrics", "/-/", "/api/v1/incidents", "/api/v1/gates", "/ui"}

func (c *Config) validateWebhook() error {
	w := c.Webhook
	if w.Path != "" {
		if !strings.HasPrefix(w.Path, "/") || strings.ContainsAny(w.Path, " {}") {
			return fmt.Errorf("webhook.path: %q must start with / and hold no spaces or braces", w.Path)
		}
		for _, r := range reservedPaths {
			if strings.HasPrefix(w.Path, r) || w.Path == "/" {
				return fmt.Errorf("webhook.path: %q collides with the receiver's own routes", w.Path)
			}
		}
	}
	for _, l := range []struct {
		name   string
		v, max int64
	}{
		{"max_body_bytes", w.MaxBodyBytes, MaxBodyBytes},
		{"max_alerts", int64(w.MaxAlerts), MaxAlerts},
		{"max_labels", int64(w.MaxLabels), MaxLabels},
		{"max_value_bytes", int64(w.MaxValueBytes), MaxValueBytes},
		{"max_in_flight_bytes", w.MaxInFlightBytes, MaxInFlightBytes},
	} {
		if l.v <= 0 || l.v > l.max {
			return fmt.Errorf("webhook.%s: %d is not between 1 and %d", l.name, l.v, l.max)
		}
	}
	if w.MaxFutureSkew <= 0 {
		return errors.New("webhook.max_future_skew: must be positive")
	}
	return nil
}

func (c *Config) validateAuth() error {
	a := c.Auth
	hasCreds := a.BearerToken != "" || a.BearerTokenFile != "" || a.BasicAuth != nil
	switch {
	case a.BearerToken != "" && a.BearerTokenFile != "":
		return errors.New("auth.bearer_token_file: set bearer_token or bearer_token_file, not both")
	case a.BasicAuth != nil && a.BasicAuth.Username == "":
		return errors.New("auth.basic_auth.username: required")
	case a.BasicAuth != nil && a.BasicAuth.Password != "" && a.BasicAuth.PasswordFile != "":
		return errors.New("auth.basic_auth.password_file: set password or password_file, not both")
	case a.BasicAuth != nil && a.BasicAuth.Password == "" && a.BasicAuth.PasswordFile == "":
		return errors.New("auth.basic_auth: password_file (or password) is required")
	case a.Disabled && (hasCreds || a.InsecureAllowUnauthenticatedLoopback):
		return errors.New("auth.disabled: credentials are configured too; remove one or the other")
	case !hasCreds && !a.Disabled && !a.InsecureAllowUnauthenticatedLoopback:
		return errors.New("auth: no credentials configured: set bearer_token_file or basic_auth " +
			"(or insecure_allow_unauthenticated_loopback: true for a local demo, or disabled: true behind an authenticating proxy)")
	}
	return nil
}

func (c *Config) validateIncidents() error {
	in := c.Incidents
	if len(in.GroupBy) == 0 {
		return errors.New("incidents.group_by: at least one label is required")
	}
	for i, g := range in.GroupBy {
		for _, l := range strings.Split(g, "|") {
			if strings.TrimSpace(l) == "" {
				return fmt.Errorf("incidents.group_by[%d]: %q has an empty label name", i, g)
			}
		}
	}
	if in.ReopenWindow < 0 {
		return errors.New("incidents.reopen_window: must not be negative")
	}
	if len(in.ValueFrom) == 0 {
		return errors.New("incidents.value_from: at least one source is required")
	}
	for i, f := range in.ValueFrom {
		if err := checkValueSource(f); err != nil {
			return fmt.Errorf("incidents.value_from[%d]: %w", i, err)
		}
	}
	return nil
}

func checkValueSource(s string) error {
	kind, name, ok := strings.Cut(s, ".")
	if !ok || name == "" || (kind != "labels" && kind != "annotations") {
		return fmt.Errorf("%q: want labels.<name> or annotations.<name>", s)
	}
	return nil
}

var ops = map[string]bool{">": true, ">=": true, "<": true, "<=": true, "==": true, "!=": true}

func (c *Config) validateGrading() error {
	g := c.Grading
	if !g.Default.Valid() {
		return fmt.Errorf("grading.default: %q is not one of P0, P1, P2, P3", g.Default)
	}
	seen := map[string]bool{}
	for i, r := range g.Rules {
		field := fmt.Sprintf("grading.rules[%d]", i)
		switch {
		case r.Name == "":
			return fmt.Errorf("%s.name: required", field)
		case seen[r.Name]:
			return fmt.Errorf("%s.name: %q is used twice", field, r.Name)
		case !r.Priority.Valid():
			return fmt.Errorf("%s.priority: %q is not one of P0, P1, P2, P3", field, r.Priority)
		case len(r.Matchers) == 0:
			return fmt.Errorf("%s.matchers: at least one is required", field)
		}
		seen[r.Name] = true
		if _, err := r.ParsedMatchers(); err != nil {
			return fmt.Errorf("%s.%w", field, err)
		}
		if v := r.Value; v != nil {
			if !ops[v.Op] {
				return fmt.Errorf("%s.value.op: %q is not one of > >= < <= == !=", field, v.Op)
			}
			if v.From != "" {
				if err := checkValueSource(v.From); err != nil {
					return fmt.Errorf("%s.value.from: %w", field, err)
				}
			}
		}
	}
	return nil
}

// ParsedMatchers parses the rule's matchers.
func (r Rule) ParsedMatchers() ([]*labels.Matcher, error) {
	out := make([]*labels.Matcher, 0, len(r.Matchers))
	for i, s := range r.Matchers {
		m, err := labels.ParseMatcher(s)
		if err != nil {
			return nil, fmt.Errorf("matchers[%d]: %q: %w", i, s, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (c *Config) validateSLA() error {
	s := c.SLA
	for _, p := range store.Priorities {
		t, ok := s.Targets[p]
		switch {
		case !ok:
			return fmt.Errorf("sla.targets.%s: missing", p)
		case t.Response <= 0 || t.Resolution <= 0:
			return fmt.Errorf("sla.targets.%s: response and resolution must be positive", p)
		case t.Resolution < t.Response:
			return fmt.Errorf("sla.targets.%s.resolution: %s is shorter than the response time %s", p, t.Resolution, t.Response)
		}
	}
	for p := range s.Targets {
		if !p.Valid() {
			return fmt.Errorf("sla.targets: %q is not one of P0, P1, P2, P3", p)
		}
	}
	if s.CheckInterval <= 0 {
		return errors.New("sla.check_interval: must be positive")
	}
	if _, err := s.BusinessHours.Parse(); err != nil {
		return fmt.Errorf("sla.business_hours.%w", err)
	}
	return nil
}

func (c *Config) validateOnCall() error {
	o := c.OnCall
	if _, err := LoadLocation(o.TimeZone); err != nil {
		return fmt.Errorf("oncall.timezone: %w", err)
	}
	if _, err := ParseClock(o.DayStart); err != nil {
		return fmt.Errorf("oncall.day_start: %w", err)
	}
	if _, err := ParseClock(o.DayEnd); err != nil {
		return fmt.Errorf("oncall.day_end: %w", err)
	}
	return nil
}

// Week is BusinessHours parsed.
type Week struct {
	Loc        *time.Location
	Start, End int // minutes after midnight
	Days       [7]bool
}

// Parse checks and converts business hours; errors start with the field.
func (b BusinessHours) Parse() (Week, error) {
	var w Week
	var err error
	if w.Loc, err = LoadLocation(b.TimeZone); err != nil {
		return w, fmt.Errorf("timezone: %w", err)
	}
	if w.Start, err = ParseClock(b.Start); err != nil {
		return w, fmt.Errorf("start: %w", err)
	}
	if w.End, err = ParseClock(b.End); err != nil {
		return w, fmt.Errorf("end: %w", err)
	}
	if w.End <= w.Start {
		return w, fmt.Errorf("end: %s is not after start %s", b.End, b.Start)
	}
	if len(b.Days) == 0 {
		return w, errors.New("days: at least one day is required")
	}
	for i, d := range b.Days {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return w, fmt.Errorf("days[%d]: %q is not one of mon, tue, wed, thu, fri, sat, sun", i, d)
		}
		w.Days[wd] = true
	}
	return w, nil
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseClock parses HH:MM into minutes after midnight.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return hh*60 + mm, nil
}

// LoadLocation is time.LoadLocation that also accepts "" as Local.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	return time.LoadLocation(name)
}

// validateReport checks that the report mails through an email channel.
func (c *Config) validateReport() error {
	isEmail := map[string]bool{}
	for _, ch := range c.Notify.Channels {
		isEmail[ch.Name] = ch.Email != nil
	}
	return c.Report.CheckChannel(isEmail)
}
