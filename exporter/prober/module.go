package prober

import (
	"errors"
	"fmt"
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
// when the http section is absent), decodes strictly and validates. Errors
// carry the line of the offending field.
//
// It uses the func form of yaml.v3's unmarshaler on purpose: Node.Decode
// starts a fresh decoder and silently drops KnownFields(true).
func (m *Module) UnmarshalYAML(unmarshal func(any) error) error {
	var node nodeCapture
	if err := unmarshal(&node); err != nil {
		return err
	}
	*m = Module{Timeout: DefaultTimeout, HTTP: DefaultHTTPProbe()}
	type module Module
	if err := unmarshal((*module)(m)); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return node.locate("", err)
	}
	return nil
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

// nodeCapture grabs the YAML node being decoded, for line numbers, without
// leaving the strict decoder (see Module.UnmarshalYAML).
type nodeCapture struct{ node yaml.Node }

func (c *nodeCapture) UnmarshalYAML(n *yaml.Node) error {
	c.node = *n
	return nil
}

// locate prefixes err, whose text starts with the field it is about
// ("valid_status_codes[1]: ..."), with that field's line and the section.
func (c *nodeCapture) locate(section string, err error) error {
	line := c.node.Line
	if l := keyLine(&c.node, leadingKey(err.Error())); l > 0 {
		line = l
	}
	if section == "" {
		return fmt.Errorf("line %d: %w", line, err)
	}
	return fmt.Errorf("line %d: %s.%w", line, section, err)
}

// leadingKey is the yaml key an error message starts with.
func leadingKey(msg string) string {
	end := strings.IndexFunc(msg, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	if end < 0 {
		return msg
	}
	return msg[:end]
}

func keyLine(mapping *yaml.Node, key string) int {
	if mapping.Kind != yaml.MappingNode || key == "" {
		return 0
	}
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i].Line
		}
	}
	return 0
}
