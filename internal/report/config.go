package report

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/yamlx"
)

// Config is the receiver config's report section: when and to whom the
// receiver mails the daily report. Without recipients nothing is sent.
type Config struct {
	// To lists the recipients; empty disables the scheduled report.
	To []string `yaml:"to,omitempty"`
	// Channel names the notify email channel whose smarthost, sender and
	// credentials the report uses (its own To is not used).
	Channel string `yaml:"channel,omitempty"`
	// At is the time of day it is sent, HH:MM (default 23:50): the report
	// covers the day up to then.
	At string `yaml:"at,omitempty"`
	// TimeZone of At and of the day (default: oncall.timezone).
	TimeZone string `yaml:"timezone,omitempty"`
	// PrometheusURL is where the host and server figures come from.
	PrometheusURL string `yaml:"prometheus_url,omitempty"`
	// BackupMaxAge, CertWarnDays and DiskWarnDays: what the report flags
	// (defaults 26h as thresholds backups.age.warning_age, 30, 30).
	BackupMaxAge string  `yaml:"backup_max_age,omitempty"`
	CertWarnDays float64 `yaml:"certificate_warning_days,omitempty"`
	DiskWarnDays float64 `yaml:"disk_warning_days,omitempty"`
}

// DefaultAt is when the report goes out when Config.At is empty.
const DefaultAt = "23:50"

// Enabled reports whether the receiver sends the report.
func (c Config) Enabled() bool { return len(c.To) > 0 }

// UnmarshalYAML decodes strictly and validates, naming the line and field.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("line %d: %w", value.Line, err)
	}
	return nil
}

// Validate checks every field; errors name it as report.<field>.
func (c Config) Validate() error {
	for i, a := range c.To {
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("report.to[%d]: %q is not an email address: %w", i, a, err)
		}
	}
	if _, err := c.Clock(); err != nil {
		return fmt.Errorf("report.at: %w", err)
	}
	if c.TimeZone != "" {
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			return fmt.Errorf("report.timezone: %w", err)
		}
	}
	if c.PrometheusURL != "" {
		if _, err := promclient.ParseURL(c.PrometheusURL); err != nil {
			return fmt.Errorf("report.prometheus_url: %w", err)
		}
	}
	if _, err := c.MaxBackupAge(); err != nil {
		return fmt.Errorf("report.backup_max_age: %w", err)
	}
	if c.CertWarnDays < 0 {
		return fmt.Errorf("report.certificate_warning_days: %g must not be negative", c.CertWarnDays)
	}
	if c.DiskWarnDays < 0 {
		return fmt.Errorf("report.disk_warning_days: %g must not be negative", c.DiskWarnDays)
	}
	if c.Enabled() {
		if c.Channel == "" {
			return fmt.Errorf("report.channel: required with report.to (the notify email channel to send through)")
		}
		if c.PrometheusURL == "" {
			return fmt.Errorf("report.prometheus_url: required with report.to")
		}
	}
	return nil
}

// CheckChannel checks that Channel names an email channel; isEmail maps
// channel names to whether they are email channels.
func (c Config) CheckChannel(isEmail map[string]bool) error {
	if c.Channel == "" {
		return nil
	}
	email, ok := isEmail[c.Channel]
	switch {
	case !ok:
		return fmt.Errorf("report.channel: %q is not defined in notify.channels", c.Channel)
	case !email:
		return fmt.Errorf("report.channel: %q is not an email channel", c.Channel)
	}
	return nil
}

// Clock is At as hours and minutes after midnight.
func (c Config) Clock() (time.Duration, error) {
	at := c.At
	if at == "" {
		at = DefaultAt
	}
	h, m, ok := strings.Cut(at, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", at)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// MaxBackupAge parses BackupMaxAge (Prometheus duration syntax: 26h, 1d2h).
func (c Config) MaxBackupAge() (time.Duration, error) {
	if c.BackupMaxAge == "" {
		return 0, nil
	}
	d, err := parseDuration(c.BackupMaxAge)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", c.BackupMaxAge)
	}
	return d, nil
}

func parseDuration(s string) (time.Duration, error) {
	d, err := model.ParseDuration(s)
	return time.Duration(d), err
}
