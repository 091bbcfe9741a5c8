package prober

import (
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultTimeout bounds a probe whose module sets no timeout; the scrape's
// own deadline may cut it shorter.
const DefaultTimeout = 10 * time.Second

// Module is one named way of probing: which prober, its timeout, and that
// prober's settings. Only the section matching Prober is used.
type Module struct {
	Prober   string        `yaml:"prober"`
	Timeout  time.Duration `yaml:"timeout,omitempty"`
	HTTP     HTTPProbe     `yaml:"http,omitempty"`
	TCP      TCPProbe      `yaml:"tcp,omitempty"`
	ICMP     ICMPProbe     `yaml:"icmp,omitempty"`
	DNS      DNSProbe      `yaml:"dns,omitempty"`
	Postgres PostgresProbe `yaml:"postgres,omitempty"`
	Redis    RedisProbe    `yaml:"redis,omitempty"`
}

// Probers is the one table of prober kinds.
var Probers = map[string]ProbeFn{
	"http":     ProbeHTTP,
	"tcp":      ProbeTCP,
	"icmp":     ProbeICMP,
	"dns":      ProbeDNS,
	"postgres": ProbePostgres,
	"redis":    ProbeRedis,
}

// UnmarshalYAML applies the defaults (timeout 10s, the http defaults even
// when the http section is absent), decodes strictly and validates.
func (m *Module) UnmarshalYAML(value *yaml.Node) error {
	*m = Module{Timeout: DefaultTimeout, HTTP: DefaultHTTPProbe()}
	type module Module
	if err := yamlx.DecodeStrict(value, (*module)(m)); err != nil {
		return err
	}
	return m.Validate()
}

// Validate checks the module as a whole after each section applied its own
// defaults and checks in UnmarshalYAML.
func (m *Module) Validate() error {
	if _, ok := Probers[m.Prober]; !ok {
		kinds := make([]string, 0, len(Probers))
		for kind := range Probers {
			kinds = append(kinds, kind)
		}
		slices.Sort(kinds)
		if m.Prober == "" {
			return fmt.Errorf("prober: must be set to one of %s", strings.Join(kinds, ", "))
		}
		return fmt.Errorf("prober: %q is not one of %s", m.Prober, strings.Join(kinds, ", "))
	}
	if m.Timeout < 0 {
		return errors.New("timeout: must not be negative")
	}
	return nil
}
