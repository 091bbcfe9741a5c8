package prober

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"gopkg.in/yaml.v3"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	pgc "github.com/golive-ops/golive/exporter/collector/postgres"
	"github.com/golive-ops/golive/internal/secret"
)

// PostgresProbe configures the postgres prober:
// /probe?module=...&target=host:5432 (or postgres://host:5432/db?sslmode=...)
// answers like postgres_exporter's /probe. Credentials live here, never in
// the target, which Prometheus shows in labels and logs.
type PostgresProbe struct {
	User         string        `yaml:"user,omitempty"`
	Password     secret.Secret `yaml:"password,omitempty"`
	PasswordFile string        `yaml:"password_file,omitempty"`
	// Database to connect to (default postgres); a URL target's path wins.
	Database string `yaml:"database,omitempty"`
	// SSLMode is libpq's sslmode (default prefer); a URL target's wins.
	SSLMode string `yaml:"sslmode,omitempty"`
}

// postgresProbeConns is the connection pool size per probed server: one for
// the probe, one for an overlapping probe from a second Prometheus.
const postgresProbeConns = 2

var postgresSSLModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// UnmarshalYAML applies the defaults, decodes strictly and validates; the
// decoder reports Validate's errors at the offending field's line.
func (p *PostgresProbe) UnmarshalYAML(value *yaml.Node) error {
	*p = PostgresProbe{}
	type postgresSection PostgresProbe
	if err := yamlx.DecodeStrict(value, (*postgresSection)(p)); err != nil {
		return err
	}
	return p.Validate()
}

// Validate checks the settings; each error starts with its yaml field.
func (p *PostgresProbe) Validate() error {
	if p.Password != "" && p.PasswordFile != "" {
		return fmt.Errorf("password_file: %w", secret.ErrBoth)
	}
	if p.SSLMode != "" && !slices.Contains(postgresSSLModes, p.SSLMode) {
		return fmt.Errorf("sslmode: %q is not one of %s", p.SSLMode, strings.Join(postgresSSLModes, ", "))
	}
	return nil
}

// collectorConfig is the postgres collector's config for one target, with
// the password resolved now so that a rotated password_file takes effect.
func (p *PostgresProbe) collectorConfig(target string, timeout time.Duration) (pgc.Config, error) {
	host, port, database, sslmode, err := parsePostgresTarget(target)
	if err != nil {
		return pgc.Config{}, fmt.Errorf("target: %w", err)
	}
	pw, err := secret.Resolve("password", p.Password, p.PasswordFile, "")
	if err != nil {
		return pgc.Config{}, err
	}
	cfg := pgc.DefaultConfig
	cfg.Name = target
	cfg.Host, cfg.Port = host, port
	cfg.User, cfg.Password = p.User, pw
	cfg.Database, cfg.SSLMode = cmp.Or(database, p.Database), cmp.Or(sslmode, p.SSLMode)
	cfg.MaxConns = postgresProbeConns
	if timeout > 0 {
		cfg.Timeout = timeout
	}
	return cfg, nil
}

// parsePostgresTarget accepts host, host:port, [v6]:port, or a
// postgres:// / postgresql:// URL whose only query parameter may be sslmode.
func parsePostgresTarget(target string) (host string, port int, database, sslmode string, err error) {
	hostport := target
	if strings.Contains(target, "://") {
		u, err := url.Parse(target)
		if err != nil {
			return "", 0, "", "", errors.New("not a valid URL") // url errors quote the text
		}
		if u.Scheme != "postgres" && u.Scheme != "postgresql" {
			return "", 0, "", "", fmt.Errorf("scheme %q is not postgres or postgresql", u.Scheme)
		}
		if u.User != nil {
			return "", 0, "", "", errors.New("credentials belong in the module's postgres section, not in the target")
		}
		for key := range u.Query() {
			if key != "sslmode" {
				return "", 0, "", "", fmt.Errorf("query parameter %q is not supported (only sslmode)", key)
			}
		}
		sslmode = u.Query().Get("sslmode")
		if sslmode != "" && !slices.Contains(postgresSSLModes, sslmode) {
			return "", 0, "", "", fmt.Errorf("sslmode %q is not one of %s", sslmode, strings.Join(postgresSSLModes, ", "))
		}
		database = strings.TrimPrefix(u.Path, "/")
		hostport = u.Host
	}
	if hostport == "" {
		return "", 0, "", "", errors.New("no host")
	}
	host, portText, splitErr := net.SplitHostPort(hostport)
	if splitErr != nil {
		// No port: a bare host name or IPv6 address.
		host, portText = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), "5432"
	}
	port, err = strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, "", "", fmt.Errorf("port %q is not a port number", portText)
	}
	if host == "" || strings.ContainsAny(host, "/ ") {
		return "", 0, "", "", fmt.Errorf("host %q is not a host name or address", host)
	}
	return host, port, database, sslmode, nil
}

// ProbePostgres scrapes target and registers pg_up and postgres_exporter's
// metrics, without golive's server label. It succeeds when pg_up is 1.
func ProbePostgres(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	cfg, err := module.Postgres.collectorConfig(target, module.Timeout)
	if err != nil {
		logger.Error("Invalid postgres probe", "err", err)
		registry.MustRegister(metricList{pgDownMetric()})
		return false
	}
	c, release, err := acquirePostgres(postgresTargets, cfg, logger)
	if err != nil {
		logger.Error("Invalid postgres probe", "err", err)
		registry.MustRegister(metricList{pgDownMetric()})
		return false
	}
	defer release()

	var up bool
	metrics, err := gatherUpdate(ctx, func(ctx context.Context, ch chan<- prometheus.Metric) (err error) {
		up, err = c.Scrape(ctx, ch)
		return err
	})
	registry.MustRegister(metricList(metrics))
	if err != nil {
		// Statements can fail on a server that answered (pg_up 1): the
		// probe still succeeded, as postgres_exporter's pg_up says.
		logger.Warn("PostgreSQL scrape had errors", "err", err, "pg_up", up)
	}
	return up
}

// pgDownMetric is pg_up 0 for a probe that could not even start, so that the
// answer holds pg_up like every other failed probe.
func pgDownMetric() prometheus.Metric {
	return prometheus.MustNewConstMetric(
		prometheus.NewDesc("pg_up", "Whether the last scrape of metrics from PostgreSQL was able to connect to the server (1 for yes, 0 for no).", nil, nil),
		prometheus.GaugeValue, 0)
}

var postgresTargets = newTargetCache[*pgc.Collector](64, 10*time.Minute)

func acquirePostgres(cache *targetCache[*pgc.Collector], cfg pgc.Config, logger *slog.Logger) (*pgc.Collector, func(), error) {
	return cache.acquire(postgresCacheKey(cfg), func() (*pgc.Collector, error) {
		return pgc.New(cfg, logger, pgc.WithoutServerLabel())
	})
}

// postgresCacheKey tells apart everything that changes the connection; the
// password enters only as a hash.
func postgresCacheKey(cfg pgc.Config) string {
	pw := sha256.Sum256([]byte(cfg.Password.Value()))
	return fmt.Sprintf("%s\x00%d\x00%s\x00%x\x00%s\x00%s\x00%s", cfg.Host, cfg.Port, cfg.User, pw, cfg.Database, cfg.SSLMode, cfg.Timeout)
}
