// Package uiconfig is the receiver config's ui section: who may log in to
// the on-call console and where its links point. It is its own package so
// the config package can hold it without importing the console.
package uiconfig

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/yamlx"
	"github.com/golive-ops/golive/receiver/auth"
)

// Config is the ui section.
type Config struct {
	// Users are the people who log in to the console: user name to a bcrypt
	// hash of the password, as exporter-toolkit's basic_auth_users
	// (`htpasswd -nBC 10 alice | cut -d: -f2`). They may also use basic auth
	// against the API.
	Users map[string]secret.Secret `yaml:"users,omitempty"`
	// SessionKeyFile holds the key (at least 32 bytes) that signs session
	// cookies. Without it a random key is made at start: logins end when the
	// receiver restarts, and replicas do not share sessions.
	SessionKeyFile string `yaml:"session_key_file,omitempty"`
	// SessionTTL is how long a login lasts (default 12h).
	SessionTTL model.Duration `yaml:"session_ttl,omitempty"`
	// AlertmanagerURL is where the incident page's silence link points
	// (the URL people open Alertmanager's UI at).
	AlertmanagerURL string `yaml:"alertmanager_url,omitempty"`
	// GrafanaURL is a dashboard the incident page links to, with the
	// incident's time range and instance filled in (e.g.
	// http://grafana:3000/d/golive-overview).
	GrafanaURL string `yaml:"grafana_url,omitempty"`
	// Refresh is how often the triage view reloads itself (default 30s).
	Refresh model.Duration `yaml:"refresh,omitempty"`
}

// Defaults for zero fields.
const (
	DefaultSessionTTL = 12 * time.Hour
	DefaultRefresh    = 30 * time.Second
)

// UnmarshalYAML decodes strictly and validates; an error starts with the
// line of the field it is about.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("line %d: %w", line(value, fe.path...), err)
		}
		return err
	}
	return nil
}

// FieldError is a validation error about one field of the section.
type FieldError struct {
	path []string // keys below ui
	msg  string
}

func (e *FieldError) Error() string { return "ui." + strings.Join(e.path, ".") + ": " + e.msg }

func fieldErr(msg string, path ...string) error { return &FieldError{path: path, msg: msg} }

// line finds the line of the deepest key of path that n has.
func line(n *yaml.Node, path ...string) int {
	at := n.Line
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return at
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				at, next = n.Content[i].Line, n.Content[i+1]
				break
			}
		}
		if next == nil {
			return at
		}
		n = next
	}
	return at
}

// Validate checks the section; errors name the field.
func (c *Config) Validate() error {
	for _, name := range slices.Sorted(maps.Keys(c.Users)) {
		switch {
		case name == "" || strings.ContainsAny(name, " \t\r\n\x00:") || len(name) > 64:
			return fieldErr(fmt.Sprintf("%q is not a user name (1-64 characters, no spaces or colons)", name), "users")
		case !auth.IsBcrypt(c.Users[name].Value()):
			return fieldErr(fmt.Sprintf("not a bcrypt hash (make one with `htpasswd -nBC 10 %s | cut -d: -f2`)", name), "users", name)
		}
	}
	if c.SessionTTL < 0 {
		return fieldErr("must not be negative", "session_ttl")
	}
	if c.Refresh < 0 || (c.Refresh > 0 && time.Duration(c.Refresh) < 5*time.Second) {
		return fieldErr("must be at least 5s", "refresh")
	}
	for _, f := range []struct{ field, v string }{{"alertmanager_url", c.AlertmanagerURL}, {"grafana_url", c.GrafanaURL}} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErr(fmt.Sprintf("%q is not an http(s) URL", f.v), f.field)
		}
	}
	return nil
}

// RelativeTo makes session_key_file relative to dir (the config file's
// directory).
func (c *Config) RelativeTo(dir string) {
	if c.SessionKeyFile != "" && !filepath.IsAbs(c.SessionKeyFile) {
		c.SessionKeyFile = filepath.Join(dir, c.SessionKeyFile)
	}
}

// SessionKey reads session_key_file (nil without one).
func (c *Config) SessionKey() ([]byte, error) {
	if c.SessionKeyFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.SessionKeyFile)
	if err != nil {
		return nil, fmt.Errorf("ui.session_key_file: %w", err)
	}
	if k := strings.TrimSpace(string(b)); len(k) < 32 {
		return nil, errors.New("ui.session_key_file: the key must be at least 32 bytes (`head -c 32 /dev/urandom | base64`)")
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

// TTL is session_ttl with its default.
func (c *Config) TTL() time.Duration {
	if c.SessionTTL == 0 {
		return DefaultSessionTTL
	}
	return time.Duration(c.SessionTTL)
}

// RefreshEvery is refresh with its default.
func (c *Config) RefreshEvery() time.Duration {
	if c.Refresh == 0 {
		return DefaultRefresh
	}
	return time.Duration(c.Refresh)
}
