package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/secret"
	pconfig "github.com/prometheus/common/config"
	goredis "github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"
)

// Config is one Redis server to scrape (an entry of the `redis:` list).
type Config struct {
	// Name tells servers apart: it becomes the server="<name>" label.
	Name string `yaml:"name"`
	// Address is host:port, or a redis://, rediss:// or unix:// URL.
	Address      string        `yaml:"address"`
	Username     string        `yaml:"username,omitempty"`
	Password     secret.Secret `yaml:"password,omitempty"`
	PasswordFile string        `yaml:"password_file,omitempty"`
	// TLS turns TLS on for a host:port address (rediss:// implies it).
	TLS       bool              `yaml:"tls,omitempty"`
	TLSConfig pconfig.TLSConfig `yaml:"tls_config,omitempty"`
	Timeout   time.Duration     `yaml:"timeout,omitempty"`
	// Databases is the server's `databases` setting. redis_exporter reads it
	// with CONFIG GET and reports db_keys 0 for every empty database; managed
	// Redis often disables CONFIG, so golive takes it from here instead.
	Databases int `yaml:"databases,omitempty"`
}

// MaxDatabases bounds databases: each one is a series per scrape, and a
// typo such as 1000000 made one scrape take 12 s and 93 MB.
const MaxDatabases = 4096

// DefaultConfig holds the values a config entry starts from.
var DefaultConfig = Config{
	Timeout:   5 * time.Second,
	Databases: 16,
}

// UnmarshalYAML applies the defaults, rejects unknown fields and validates.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	return c.Validate()
}

// Validate checks every field and names the offending one.
func (c *Config) Validate() error {
	if c.Name == "" {
		return errors.New("name is required")
	}
	if strings.ContainsAny(c.Name, "\"\\\n") {
		return errors.New("name must not contain quotes, backslashes or newlines")
	}
	if _, err := c.baseOptions(); err != nil {
		return err
	}
	if c.Password != "" && c.PasswordFile != "" {
		return fmt.Errorf("password and password_file: %w", secret.ErrBoth)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("timeout must be positive, got %s", c.Timeout)
	}
	if c.Databases < 1 || c.Databases > MaxDatabases {
		return fmt.Errorf("databases: %d is not between 1 and %d", c.Databases, MaxDatabases)
	}
	if _, err := secret.Resolve("password", c.Password, c.PasswordFile, ""); err != nil {
		return err // a missing password_file fails here, at its line, as postgres's dsn_file does
	}
	if err := c.TLSConfig.Validate(); err != nil {
		return fmt.Errorf("tls_config: %w", err)
	}
	return nil
}

// ParseAddress checks a host:port or redis URL without connecting. It is
// used for /probe targets too, where credentials must come from the module,
// never from the (logged, labelled) target.
func ParseAddress(address string) (*goredis.Options, error) {
	if address == "" {
		return nil, errors.New("address is required")
	}
	if !strings.Contains(address, "://") {
		host, port, err := net.SplitHostPort(address)
		if err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("address %q is neither host:port nor a redis://, rediss:// or unix:// URL", address)
		}
		return &goredis.Options{Network: "tcp", Addr: address}, nil
	}
	opts, err := goredis.ParseURL(address)
	if err != nil {
		// url.Error repeats the whole URL, which may hold a password.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("address is not a valid redis URL: %w", err)
	}
	return opts, nil
}

// baseOptions parses the address and merges the credentials that do not
// need a file read; it never puts a secret into an error.
func (c *Config) baseOptions() (*goredis.Options, error) {
	opts, err := ParseAddress(c.Address)
	if err != nil {
		return nil, err
	}
	if opts.Password != "" && (c.Password != "" || c.PasswordFile != "") {
		return nil, errors.New("address holds a password and password or password_file is set too: set it in one place")
	}
	if c.Username != "" {
		if opts.Username != "" {
			return nil, errors.New("address holds a username and username is set too: set it in one place")
		}
		opts.Username = c.Username
	}
	return opts, nil
}

// clientOptions builds the go-redis options: a small pool, no handshake
// extras (CLIENT SETINFO, maintenance notifications) that managed Redis may
// refuse, and timeouts that follow the scrape's context.
func (c *Config) clientOptions() (*goredis.Options, error) {
	opts, err := c.baseOptions()
	if err != nil {
		return nil, err
	}
	pw, err := secret.Resolve("password", c.Password, c.PasswordFile, "")
	if err != nil {
		return nil, err
	}
	if pw != "" {
		opts.Password = pw.Value()
	}
	if c.TLS && opts.TLSConfig == nil {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if opts.TLSConfig != nil {
		tc, err := pconfig.NewTLSConfig(&c.TLSConfig)
		if err != nil {
			return nil, fmt.Errorf("tls_config: %w", err)
		}
		if tc.ServerName == "" && opts.Network != "unix" {
			tc.ServerName, _, _ = net.SplitHostPort(opts.Addr)
		}
		opts.TLSConfig = tc
	}
	opts.Protocol = 2
	opts.DisableIdentity = true
	opts.ContextTimeoutEnabled = true
	opts.PoolSize = 2
	opts.MinIdleConns = 0
	opts.MaxRetries = 1 // one retry replaces a pooled connection the server closed
	opts.DialerRetries = 1
	opts.DialTimeout = c.Timeout
	opts.ReadTimeout = c.Timeout
	opts.WriteTimeout = c.Timeout
	opts.PoolTimeout = c.Timeout
	opts.ConnMaxIdleTime = 5 * time.Minute
	opts.MaintNotificationsConfig = disabledMaintNotifications()
	return opts, nil
}
