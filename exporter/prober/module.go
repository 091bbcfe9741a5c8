package prober

import (
	"fmt"
	"time"
)

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

// Validate checks the module as a whole after each section applied its own
// defaults and checks in UnmarshalYAML.
func (m *Module) Validate() error {
	if _, ok := Probers[m.Prober]; !ok {
		return fmt.Errorf("prober %q is not one of http, tcp, icmp, dns, postgres, redis", m.Prober)
	}
	if m.Timeout < 0 {
		return fmt.Errorf("timeout must not be negative")
	}
	return nil
}
