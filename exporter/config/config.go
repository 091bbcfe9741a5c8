// Package config is the exporter's configuration file: it composes the
// sections each collector package defines, decodes them strictly, and checks
// what spans sections (a SQL check naming its PostgreSQL server, a probe
// naming its module).
package config

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golive-ops/golive/exporter/collector/backup"
	"github.com/golive-ops/golive/exporter/collector/host"
	"github.com/golive-ops/golive/exporter/collector/postgres"
	"github.com/golive-ops/golive/exporter/collector/redis"
	"github.com/golive-ops/golive/exporter/collector/services"
	"github.com/golive-ops/golive/exporter/collector/sqlcheck"
	"github.com/golive-ops/golive/exporter/prober"
	"github.com/golive-ops/golive/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// Config is the whole exporter configuration. A section left out of the file
// is not collected: Host and Services are nil, the lists are empty.
type Config struct {
	Global    Global                   `yaml:"global"`
	Host      *host.Config             `yaml:"host,omitempty"`
	Services  *services.Config         `yaml:"services,omitempty"`
	Backups   []backup.Config          `yaml:"backups,omitempty"`
	Postgres  []postgres.Config        `yaml:"postgres,omitempty"`
	Redis     []redis.Config           `yaml:"redis,omitempty"`
	SQLChecks []sqlcheck.Config        `yaml:"sql_checks,omitempty"`
	Modules   map[string]prober.Module `yaml:"modules,omitempty"`
	Probes    []Probe                  `yaml:"probes,omitempty"`
}

// Global holds the settings that apply to every scrape.
type Global struct {
	// ScrapeTimeout bounds a scrape when Prometheus does not say how long it
	// waits (no X-Prometheus-Scrape-Timeout-Seconds header).
	ScrapeTimeout time.Duration `yaml:"scrape_timeout"`
	// ScrapeTimeoutOffset is taken off Prometheus's timeout so that the answer
	// is on the wire before Prometheus gives up.
	ScrapeTimeoutOffset time.Duration `yaml:"scrape_timeout_offset"`
}

// Probe is one entry of probes: every target is probed with the module on
// each /metrics scrape.
type Probe struct {
	Module  string   `yaml:"module"`
	Targets []string `yaml:"targets"`
}

// UnmarshalYAML applies the defaults and checks the fields.
func (g *Global) UnmarshalYAML(value *yaml.Node) error {
	*g = DefaultGlobal
	type plain Global
	if err := yamlx.DecodeStrict(value, (*plain)(g)); err != nil {
		return err
	}
	switch {
	case g.ScrapeTimeout <= 0:
		return fmt.Errorf("scrape_timeout: must be positive, got %s", g.ScrapeTimeout)
	case g.ScrapeTimeoutOffset < 0:
		return fmt.Errorf("scrape_timeout_offset: must not be negative, got %s", g.ScrapeTimeoutOffset)
	case g.ScrapeTimeoutOffset >= g.ScrapeTimeout:
		return fmt.Errorf("scrape_timeout_offset: %s must be less than scrape_timeout %s", g.ScrapeTimeoutOffset, g.ScrapeTimeout)
	}
	return nil
}

// UnmarshalYAML checks the fields of one probes entry.
func (p *Probe) UnmarshalYAML(value *yaml.Node) error {
	*p = Probe{}
	type plain Probe
	if err := yamlx.DecodeStrict(value, (*plain)(p)); err != nil {
		return err
	}
	if p.Module == "" {
		return errors.New("module: must not be empty")
	}
	if len(p.Targets) == 0 {
		return errors.New("targets: must list at least one target")
	}
	seen := make(map[string]bool, len(p.Targets))
	for i, t := range p.Targets {
		if t == "" {
			return fmt.Errorf("targets[%d]: must not be empty", i)
		}
		if seen[t] {
			return fmt.Errorf("targets[%d]: %q is listed twice", i, t)
		}
		seen[t] = true
	}
	return nil
}

// Load reads and checks the config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// String dumps the config as YAML, with secrets shown as <secret>.
func (c *Config) String() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("<config cannot be shown: %v>", err)
	}
	return string(b)
}
