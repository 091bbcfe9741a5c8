package postgres

import (
	"context"
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/secret"
)

// Config is one `postgres:` entry: a server golive scrapes on /metrics.
// The connection is given either as a DSN (dsn or dsn_file) or as separate
// fields (host, port, user, password or password_file, database, sslmode).
type Config struct {
	Name string `yaml:"name"`

	DSN     secret.Secret `yaml:"dsn,omitempty"`
	DSNFile string        `yaml:"dsn_file,omitempty"`

	Host     string `yaml:"host,omitempty"`
	Port     int    `yaml:"port,omitempty"`
	User     string `yaml:"user,omitempty"`
	Database string `yaml:"database,omitempty"`
	SSLMode  string `yaml:"sslmode,omitempty"`
	// Password and PasswordFile may also complete a DSN that has none.
	Password     secret.Secret `yaml:"password,omitempty"`
	PasswordFile string        `yaml:"password_file,omitempty"`

	// Timeout bounds connecting and each scrape's statements (it is also sent
	// as statement_timeout); the scrape's own deadline may end it sooner.
	Timeout  time.Duration `yaml:"timeout,omitempty"`
	MaxConns int32         `yaml:"max_conns,omitempty"`
}

// DefaultConfig holds the defaults UnmarshalYAML and New apply.
var DefaultConfig = Config{Timeout: 5 * time.Second, MaxConns: 3}

// ApplicationName marks golive's backends in pg_stat_activity unless the DSN
// sets another.
const ApplicationName = "golive"

const (
	defaultPort     = 5432
	defaultDatabase = "postgres"
	defaultSSLMode  = "prefer" // libpq's default
	maxIdleConnTime = 10 * time.Minute
)

var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// UnmarshalYAML applies the defaults, decodes strictly and validates.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = DefaultConfig
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	return c.Validate()
}

// Validate checks the fields and that a pool configuration can be built
// (which reads dsn_file and password_file). Errors name the yaml field and
// never contain a secret.
func (c *Config) Validate() error {
	if c.Name == "" {
		return errors.New("name is required")
	}
	viaDSN := c.DSN != "" || c.DSNFile != ""
	if viaDSN == (c.Host != "") {
		return errors.New("exactly one of dsn, dsn_file or host must be set")
	}
	if viaDSN && (c.Port != 0 || c.User != "" || c.Database != "" || c.SSLMode != "") {
		return errors.New("port, user, database and sslmode go with host; with dsn put them in the dsn")
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port %d is out of range 1-65535", c.Port)
	}
	if c.SSLMode != "" && !contains(sslModes, c.SSLMode) {
		return fmt.Errorf("sslmode %q is not one of %s", c.SSLMode, strings.Join(sslModes, ", "))
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("timeout must be positive, got %s", c.Timeout)
	}
	if c.MaxConns < 1 || c.MaxConns > 100 {
		return fmt.Errorf("max_conns %d is out of range 1-100", c.MaxConns)
	}
	_, err := c.PoolConfig()
	return err
}

// PoolConfig builds the pgxpool configuration: at most max_conns
// connections, none opened before the first scrape, each named
// application_name=golive and with statement_timeout set to timeout (unless
// the DSN sets them).
func (c Config) PoolConfig() (*pgxpool.Config, error) {
	dsn, err := secret.Resolve("dsn", c.DSN, c.DSNFile, "")
	if err != nil {
		return nil, err
	}
	password, err := secret.Resolve("password", c.Password, c.PasswordFile, "")
	if err != nil {
		return nil, err
	}
	connString := dsn.Value()
	field := "dsn"
	if connString == "" {
		connString, field = c.keywordConnString(), "host"
	}
	pc, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// Not wrapped: the parser's error may quote the connection string,
		// and Unwrap would hand that text to whoever prints it.
		return nil, fmt.Errorf("%s: %s", field, redact(err.Error(), dsn.Value(), password.Value()))
	}
	if password != "" {
		pc.ConnConfig.Password = password.Value()
	}
	pc.MaxConns = c.MaxConns
	pc.MinConns = 0
	pc.MaxConnIdleTime = maxIdleConnTime
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > c.Timeout {
		// pgxpool keeps connecting in the background after a scrape gave up;
		// against a hung server that must end too.
		pc.ConnConfig.ConnectTimeout = c.Timeout
	}
	params := pc.ConnConfig.RuntimeParams
	if params["application_name"] == "" {
		params["application_name"] = ApplicationName
	}
	if params["statement_timeout"] == "" {
		// Set with SET after connecting, not as a startup parameter: a
		// startup value would become the session's reset value too, which
		// is what pg_settings_statement_timeout_seconds reports.
		setTimeout := "SET statement_timeout = " + strconv.FormatInt(c.Timeout.Milliseconds(), 10)
		pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			_, err := conn.PgConn().Exec(ctx, setTimeout).ReadAll()
			return err
		}
	}
	return pc, nil
}

// keywordConnString builds "host=... port=..." from the separate fields. The
// password is set on the parsed config instead, so it never goes through
// the parser (or its error messages).
func (c Config) keywordConnString() string {
	port, database, sslmode := c.Port, c.Database, c.SSLMode
	if port == 0 {
		port = defaultPort
	}
	if database == "" {
		database = defaultDatabase
	}
	if sslmode == "" {
		sslmode = defaultSSLMode
	}
	kv := []string{
		"host=" + quoteValue(c.Host),
		"port=" + strconv.Itoa(port),
		"dbname=" + quoteValue(database),
		"sslmode=" + quoteValue(sslmode),
	}
	if c.User != "" {
		kv = append(kv, "user="+quoteValue(c.User))
	}
	return strings.Join(kv, " ")
}

func quoteValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// redact removes secrets from an error text: the whole DSN, the password,
// and the password a URL-form DSN carries.
func redact(text, dsn, password string) string {
	var secrets []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p, url.PathEscape(p), url.QueryEscape(p))
		}
	}
	secrets = append(secrets, dsn, password)
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, secret.Redacted)
		}
	}
	return text
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
