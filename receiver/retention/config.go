package retention

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/yamlx"
)

// Config is receiver.yml's retention section. A zero age keeps that kind
// of row forever.
type Config struct {
	// Webhooks is how long raw payloads are kept. They are the bulk of the
	// store and only serve audits and debugging: incidents, occurrences and
	// timelines do not need them.
	Webhooks model.Duration `yaml:"webhooks"`
	// Occurrences is how long an ended occurrence is kept once its incident
	// is no longer open. At least a day: a replayed resolve of a deleted
	// occurrence would be stored as a new, already ended one.
	Occurrences model.Duration `yaml:"occurrences"`
	// Incidents is how long a closed incident is kept; it goes with its
	// occurrences, notifications and timeline.
	Incidents model.Duration `yaml:"incidents"`
	// GateDecisions is how long rollout gate decisions are kept (one row
	// per uncached evaluation: up to one per min_interval per gate and
	// replica). Each gate's newest decision is always kept.
	GateDecisions model.Duration `yaml:"gate_decisions"`
	// Interval is the time between runs; BatchSize the rows one short
	// transaction deletes, so webhooks never wait long behind retention.
	Interval  model.Duration `yaml:"interval"`
	BatchSize int            `yaml:"batch_size"`
}

// minOccurrences keeps ended occurrences longer than any replay.
const minOccurrences = 24 * time.Hour

// Default keeps raw payloads a week, everything else forever.
func Default() Config {
	return Config{
		Webhooks:      model.Duration(7 * 24 * time.Hour),
		GateDecisions: model.Duration(30 * 24 * time.Hour),
		Interval:      model.Duration(10 * time.Minute),
		BatchSize:     500,
	}
}

// UnmarshalYAML starts from Default and validates.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = Default()
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	return c.Validate()
}

// Validate checks the section; errors name the field.
func (c *Config) Validate() error {
	if c.Occurrences != 0 && time.Duration(c.Occurrences) < minOccurrences {
		return fmt.Errorf("retention.occurrences: %s is shorter than %s (0 keeps them forever)", c.Occurrences, model.Duration(minOccurrences))
	}
	if c.Interval <= 0 {
		return fmt.Errorf("retention.interval: must be positive")
	}
	if c.BatchSize <= 0 || c.BatchSize > 10000 {
		return fmt.Errorf("retention.batch_size: %d is not between 1 and 10000", c.BatchSize)
	}
	return nil
}
