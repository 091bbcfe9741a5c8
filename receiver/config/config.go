// Package config is the receiver's configuration file: strict YAML, every
// default in one place (Default), validation with errors naming the field,
// and secrets only through *_file twins or inline values that never print.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/yamlx"
	"github.com/golive-ops/golive/receiver/gate"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/oncall"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/retention"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/ui/uiconfig"
)

// Config is receiver.yml.
type Config struct {
	// ExternalURL is how people reach this receiver (links in
	// notifications and the UI).
	ExternalURL string    `yaml:"external_url,omitempty"`
	Storage     Storage   `yaml:"storage"`
	Webhook     Webhook   `yaml:"webhook"`
	Auth        Auth      `yaml:"auth"`
	Incidents   Incidents `yaml:"incidents"`
	Grading     Grading   `yaml:"grading"`
	SLA         SLA       `yaml:"sla"`
	OnCall      OnCall    `yaml:"oncall"`
	// Notify routes incident changes to channels by priority (R5.1's
	// lists); without channels nothing is sent.
	Notify notify.Config `yaml:"notify"`
	// Remediation is the automatic response policy (receiver/remediate).
	Remediation remediate.Config `yaml:"remediation,omitempty"`
	// UI is the on-call console: its users and links (package uiconfig).
	UI uiconfig.Config `yaml:"ui"`
	// Retention deletes old payloads, occurrences and closed incidents.
	Retention retention.Config `yaml:"retention"`
	// Report mails the daily report (internal/report owns the section).
	Report report.Config `yaml:"report,omitempty"`
	// Gate is the prometheus: and gates: sections (rollout gates).
	Gate gate.Section `yaml:",inline"`
}

// Storage selects exactly one backend; neither means SQLite at
// data/receiver.db.
type Storage struct {
	SQLite   *SQLite   `yaml:"sqlite,omitempty"`
	Postgres *Postgres `yaml:"postgres,omitempty"`
	// Timeout bounds every store call (a webhook's whole transaction, one
	// read, a readiness check): a hung database answers 503 within it.
	Timeout model.Duration `yaml:"timeout"`
}

// SQLite is the embedded single-process store.
type SQLite struct {
	Path string `yaml:"path"`
}

// Postgres is the shared store for several replicas.
type Postgres struct {
	DSN      secret.Secret `yaml:"dsn,omitempty"`
	DSNFile  string        `yaml:"dsn_file,omitempty"`
	MaxConns int           `yaml:"max_conns,omitempty"`
}

// Webhook bounds what Alertmanager may send.
type Webhook struct {
	// Path is served in addition to /api/v1/alertmanager.
	Path          string         `yaml:"path,omitempty"`
	MaxBodyBytes  int64          `yaml:"max_body_bytes"`
	MaxAlerts     int            `yaml:"max_alerts"`
	MaxLabels     int            `yaml:"max_labels"`
	MaxValueBytes int            `yaml:"max_value_bytes"`
	MaxFutureSkew model.Duration `yaml:"max_future_skew"`
	// MaxInFlightBytes bounds the bodies being decoded and stored at once
	// (each costs about six times its size in memory); beyond it a webhook
	// waits up to storage.timeout, then gets 503 and Alertmanager retries.
	MaxInFlightBytes int64 `yaml:"max_in_flight_bytes"`
}

// Auth protects the webhook, the API and the UI. Alertmanager sends the
// credentials through its http_config (authorization or basic_auth).
type Auth struct {
	BearerToken     secret.Secret `yaml:"bearer_token,omitempty"`
	BearerTokenFile string        `yaml:"bearer_token_file,omitempty"`
	BasicAuth       *BasicAuth    `yaml:"basic_auth,omitempty"`
	// InsecureAllowUnauthenticatedLoopback accepts requests from 127.0.0.1
	// and ::1 without credentials: for the local demo only.
	InsecureAllowUnauthenticatedLoopback bool `yaml:"insecure_allow_unauthenticated_loopback,omitempty"`
	// Disabled turns authentication off entirely (e.g. behind an
	// authenticating proxy). It must be said explicitly.
	Disabled bool `yaml:"disabled,omitempty"`
}

// BasicAuth is one user.
type BasicAuth struct {
	Username     string        `yaml:"username"`
	Password     secret.Secret `yaml:"password,omitempty"`
	PasswordFile string        `yaml:"password_file,omitempty"`
}

// Incidents configures grouping and flapping.
type Incidents struct {
	// GroupBy lists the labels whose values form the group key; "a|b"
	// takes the first of a, b that the alert has.
	GroupBy []string `yaml:"group_by"`
	// ReopenWindow: a resolved incident whose group fires again within
	// this window reopens instead of starting a new incident.
	ReopenWindow model.Duration `yaml:"reopen_window"`
	// ValueFrom is where grading reads an alert's numeric value, first
	// found wins: "labels.<name>" or "annotations.<name>".
	ValueFrom []string `yaml:"value_from"`
}

// Grading maps alerts to priorities: the first matching rule wins, else
// Default.
type Grading struct {
	Default store.Priority `yaml:"default"`
	Rules   []Rule         `yaml:"rules"`
}

// Rule is one grading rule. Every matcher must match and, when Value is
// set, the alert's value must satisfy it.
type Rule struct {
	Name     string         `yaml:"name"`
	Priority store.Priority `yaml:"priority"`
	// Matchers use Alertmanager's syntax: name="v", name!="v", name=~"re",
	// name!~"re" (regexes are anchored).
	Matchers []string   `yaml:"matchers"`
	Value    *Condition `yaml:"value,omitempty"`
}

// Condition compares the alert's value with a threshold.
type Condition struct {
	Op        string  `yaml:"op"` // >, >=, <, <=, ==, !=
	Threshold float64 `yaml:"threshold"`
	// From overrides incidents.value_from for this rule.
	From string `yaml:"from,omitempty"`
}

// SLA holds response and resolution targets per grade (runbook R5.1).
type SLA struct {
	Targets       map[store.Priority]Target `yaml:"targets"`
	BusinessHours BusinessHours             `yaml:"business_hours"`
	// CheckInterval is how often deadlines are checked for breaches.
	CheckInterval model.Duration `yaml:"check_interval"`
}

// Target is one grade's deadlines.
type Target struct {
	Response   model.Duration `yaml:"response"`
	Resolution model.Duration `yaml:"resolution"`
	// BusinessHours: the deadline clock runs only in business hours.
	BusinessHours bool `yaml:"business_hours,omitempty"`
}

// BusinessHours is the working week.
type BusinessHours struct {
	TimeZone string   `yaml:"timezone"`
	Start    string   `yaml:"start"` // HH:MM
	End      string   `yaml:"end"`   // HH:MM, after Start
	Days     []string `yaml:"days"`  // mon … sun
}

// OnCall fills an incident's assignee. By default it is the runbook's two
// shifts (R5.4): Day from DayStart to DayEnd, Night otherwise. Schedule,
// when set, replaces them with rotations, weekday shifts and overrides.
type OnCall struct {
	TimeZone string           `yaml:"timezone"`
	DayStart string           `yaml:"day_start"` // HH:MM
	DayEnd   string           `yaml:"day_end"`   // HH:MM
	Day      string           `yaml:"day"`       // who is on call by day
	Night    string           `yaml:"night"`     // … and otherwise
	Schedule *oncall.Schedule `yaml:"schedule,omitempty"`
}

// DefaultPath is where the demo keeps its SQLite file.
const DefaultPath = "data/receiver.db"

// Default returns the defaults every file starts from.
func Default() Config {
	d := func(x time.Duration) model.Duration { return model.Duration(x) }
	return Config{
		Storage: Storage{Timeout: d(5 * time.Second)},
		Webhook: Webhook{MaxBodyBytes: 32 << 20, MaxAlerts: 20000, MaxLabels: 256, MaxValueBytes: 64 << 10, MaxFutureSkew: d(10 * time.Minute),
			MaxInFlightBytes: 32 << 20},
		Incidents: Incidents{
			GroupBy:      []string{"alertname", "service|instance"},
			ReopenWindow: d(30 * time.Minute),
			ValueFrom:    []string{"labels.value", "annotations.value"},
		},
		Grading: Grading{Default: store.P3, Rules: RunbookRules()},
		SLA: SLA{
			Targets: map[store.Priority]Target{
				store.P0: {Response: d(15 * time.Minute), Resolution: d(4 * time.Hour)},
				store.P1: {Response: d(30 * time.Minute), Resolution: d(8 * time.Hour)},
				store.P2: {Response: d(2 * time.Hour), Resolution: d(24 * time.Hour)},
				store.P3: {Response: d(4 * time.Hour), Resolution: d(72 * time.Hour), BusinessHours: true},
			},
			BusinessHours: BusinessHours{TimeZone: "Local", Start: "09:00", End: "18:00", Days: []string{"mon", "tue", "wed", "thu", "fri"}},
			CheckInterval: d(30 * time.Second),
		},
		OnCall:      OnCall{TimeZone: "Local", DayStart: "09:00", DayEnd: "18:00", Day: "day-shift", Night: "night-shift"},
		Retention:   retention.Default(),
		Remediation: remediate.Default(),
	}
}

// RunbookRules are runbook R5.2's grading rules for the alerts that
// `golive generate` writes (rules/*.rules.yml): values are ratios (0.5 is
// 50%) and seconds, as the alerts' value annotations carry them.
func RunbookRules() []Rule {
	gt := func(x float64) *Condition { return &Condition{Op: ">", Threshold: x} }
	const (
		errorRate = `alertname=~"HTTPErrorRateHigh|HighErrorRate|ErrorRateHigh"`
		latency   = `alertname=~"HTTPLatencyP95High|HighLatencyP95|ProbeSlow"`
	)
	return []Rule{
		{Name: "web-tier-down", Priority: store.P0, Matchers: []string{`alertname=~"ServiceDown|InstanceDown|ProbeFailed"`, `service=~"web|api|frontend|nginx"`}},
		{Name: "database-down", Priority: store.P0, Matchers: []string{`alertname=~"PostgresDown|DatabaseDown"`}},
		{Name: "error-rate-above-50pct", Priority: store.P0, Matchers: []string{errorRate}, Value: gt(0.5)},
		{Name: "response-time-above-10s", Priority: store.P1, Matchers: []string{latency}, Value: gt(10)},
		{Name: "error-rate-above-20pct", Priority: store.P1, Matchers: []string{errorRate}, Value: gt(0.2)},
		{Name: "cpu-above-95pct", Priority: store.P1, Matchers: []string{`alertname=~"HostCPUUsageHigh|HighCPUUsage"`}, Value: gt(0.95)},
		{Name: "response-time-above-5s", Priority: store.P2, Matchers: []string{latency}, Value: gt(5)},
		{Name: "error-rate-above-5pct", Priority: store.P2, Matchers: []string{errorRate}, Value: gt(0.05)},
	}
}

// Load reads, decodes and validates a config file, and checks that its
// *_file secrets can be read (so that a start, a reload and check-config
// refuse the same files, with the line of the offending field). Relative
// *_file paths are relative to the file's directory.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, doc, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.setDirectory(filepath.Dir(path))
	if _, err := c.Remediation.ProbeModules(); err != nil { // once the exporter config's path is resolved
		return nil, fmt.Errorf("%s: %w", path, doc.Locate(err))
	}
	if _, err := c.ResolveSecrets(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, doc.Locate(err))
	}
	return c, nil
}

// Parse decodes and validates YAML with golive's strict decoder
// (internal/yamlx): unknown or repeated keys, a second document, oversized
// values and wrong types are refused, and every error reads
// "line N: path: problem". Durations take Prometheus's syntax (30s, 5m, 1d,
// 1w).
//
// A package that adds a section gives it a field in Config; its
// UnmarshalYAML (yamlx.DecodeStrict, then its own checks, errors led by the
// field path within the section) is located by the decoder.
func Parse(b []byte) (*Config, error) {
	c, _, err := parse(b)
	return c, err
}

func parse(b []byte) (*Config, *yamlx.Document, error) {
	doc, err := yamlx.Parse(b)
	if err != nil {
		return nil, nil, err
	}
	c := Default()
	if err := doc.Decode(&c); err != nil {
		return nil, nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, nil, doc.Locate(err)
	}
	return &c, doc, nil
}

func (c *Config) setDirectory(dir string) {
	join := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	join(&c.Auth.BearerTokenFile)
	if c.Auth.BasicAuth != nil {
		join(&c.Auth.BasicAuth.PasswordFile)
	}
	if c.Storage.Postgres != nil {
		join(&c.Storage.Postgres.DSNFile)
	}
	c.Notify.RelativeTo(dir)
	c.Remediation.RelativeTo(dir)
	c.UI.RelativeTo(dir)
	c.Gate.RelativeTo(dir)
}

// Secrets are the resolved credentials.
type Secrets struct {
	BearerToken   secret.Secret
	BasicUser     string
	BasicPassword secret.Secret
	PostgresDSN   secret.Secret
}

// ResolveSecrets reads the *_file twins.
func (c *Config) ResolveSecrets() (Secrets, error) {
	var s Secrets
	var err error
	if s.BearerToken, err = secret.Resolve("auth.bearer_token", c.Auth.BearerToken, c.Auth.BearerTokenFile, ""); err != nil {
		return s, err
	}
	if c.Auth.BearerTokenFile != "" && s.BearerToken == "" {
		return s, errors.New("auth.bearer_token_file: the file is empty")
	}
	if b := c.Auth.BasicAuth; b != nil {
		s.BasicUser = b.Username
		if s.BasicPassword, err = secret.Resolve("auth.basic_auth.password", b.Password, b.PasswordFile, ""); err != nil {
			return s, err
		}
		if s.BasicPassword == "" {
			return s, errors.New("auth.basic_auth: the password is empty")
		}
	}
	if p := c.Storage.Postgres; p != nil {
		if s.PostgresDSN, err = secret.Resolve("storage.postgres.dsn", p.DSN, p.DSNFile, ""); err != nil {
			return s, err
		}
		if s.PostgresDSN == "" {
			return s, errors.New("storage.postgres: dsn or dsn_file is required")
		}
	}
	return s, nil
}
