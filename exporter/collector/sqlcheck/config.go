package sqlcheck

import (
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is one `sql_checks:` entry: a named read-only query against a
// configured PostgreSQL server whose numeric columns become metrics.
type Config struct {
	Name string `yaml:"name"`
	// Postgres names the `postgres:` entry whose connection pool runs the query.
	Postgres string `yaml:"postgres"`
	Query    string `yaml:"query"`
	// Timeout bounds the query (sent as statement_timeout too).
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// Labels lists result columns whose values label the row's other columns,
	// for queries that return one row per table, shard, etc.
	Labels []string `yaml:"labels,omitempty"`
}

// DefaultConfig holds the defaults UnmarshalYAML and New apply.
var DefaultConfig = Config{Timeout: 5 * time.Second}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// UnmarshalYAML applies the defaults, decodes strictly and validates.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	return c.Validate()
}

// Validate checks every field; errors name the yaml field.
func (c *Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("name: is required")
	case c.Postgres == "":
		return errors.New("postgres: is required (the name of a postgres entry)")
	case strings.TrimSpace(c.Query) == "":
		return errors.New("query: is required")
	case c.Timeout <= 0:
		return fmt.Errorf("timeout: must be positive, got %s", c.Timeout)
	}
	if err := checkSingleStatement(c.Query); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, l := range c.Labels {
		switch {
		case !labelNameRE.MatchString(l) || strings.HasPrefix(l, "__"):
			return fmt.Errorf("labels[%d]: %q is not a valid label name", i, l)
		case l == "check" || l == "column":
			return fmt.Errorf("labels[%d]: %q is reserved", i, l)
		case seen[l]:
			return fmt.Errorf("labels[%d]: %q is listed twice", i, l)
		}
		seen[l] = true
	}
	return nil
}
