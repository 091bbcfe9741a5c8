package prober

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"gopkg.in/yaml.v3"
	"log/slog"
	"time"

	redisc "github.com/golive-ops/golive/exporter/collector/redis"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/prometheus/client_golang/prometheus"
)

// RedisProbe configures the redis prober: /probe?module=...&target=host:6379
// answers like redis_exporter's /scrape. Credentials live here, never in
// the target, which Prometheus shows in labels and logs.
type RedisProbe struct {
	Username     string        `yaml:"username,omitempty"`
	Password     secret.Secret `yaml:"password,omitempty"`
	PasswordFile string        `yaml:"password_file,omitempty"`
	TLS          bool          `yaml:"tls,omitempty"`
	TLSConfig    TLSConfig     `yaml:"tls_config,omitempty"`
	// Databases is the servers' `databases` setting (default 16), for the
	// db_keys 0 series of empty databases.
	Databases int `yaml:"databases,omitempty"`
}

// UnmarshalYAML applies the defaults, decodes strictly and validates; the
// decoder reports Validate's errors at the offending field's line.
func (p *RedisProbe) UnmarshalYAML(value *yaml.Node) error {
	*p = RedisProbe{}
	type redisSection RedisProbe
	if err := yamlx.DecodeStrict(value, (*redisSection)(p)); err != nil {
		return err
	}
	return p.Validate()
}

// Validate checks the settings; each error starts with its yaml field.
func (p *RedisProbe) Validate() error {
	if p.Password != "" && p.PasswordFile != "" {
		return fmt.Errorf("password_file: %w", secret.ErrBoth)
	}
	if p.Databases < 0 || p.Databases > redisc.MaxDatabases {
		return fmt.Errorf("databases: %d is not between 0 (the default, 16) and %d", p.Databases, redisc.MaxDatabases)
	}
	return validateTLS(p.TLSConfig)
}

// collectorConfig is the redis collector's config for one target, with the
// password resolved now so that a rotated password_file takes effect.
func (p *RedisProbe) collectorConfig(target string, timeout time.Duration) (redisc.Config, error) {
	opts, err := redisc.ParseAddress(target)
	if err != nil {
		return redisc.Config{}, fmt.Errorf("target: %w", err)
	}
	if opts.Username != "" || opts.Password != "" {
		return redisc.Config{}, errors.New("target: credentials belong in the module's redis section, not in the target")
	}
	pw, err := secret.Resolve("password", p.Password, p.PasswordFile, "")
	if err != nil {
		return redisc.Config{}, err
	}
	cfg := redisc.DefaultConfig
	cfg.Name = target
	cfg.Address = target
	cfg.Username = p.Username
	cfg.Password = pw
	cfg.TLS = p.TLS
	cfg.TLSConfig = p.TLSConfig
	if timeout > 0 {
		cfg.Timeout = timeout
	}
	if p.Databases > 0 {
		cfg.Databases = p.Databases
	}
	return cfg, nil
}

// ProbeRedis scrapes target with one INFO ALL and registers redis_up and
// redis_exporter's metrics, without golive's server label. It succeeds when
// redis_up is 1.
func ProbeRedis(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	cfg, err := module.Redis.collectorConfig(target, module.Timeout)
	if err != nil {
		logger.Error("Invalid redis probe", "err", err)
		registry.MustRegister(metricList{redisDownMetric()})
		return false
	}
	c, release, err := acquireRedis(redisTargets, cfg, logger)
	if err != nil {
		logger.Error("Invalid redis probe", "err", err)
		registry.MustRegister(metricList{redisDownMetric()})
		return false
	}
	defer release()

	metrics, err := gatherUpdate(ctx, c.Update)
	registry.MustRegister(metricList(metrics))
	if err != nil {
		logger.Error("Redis scrape failed", "err", err)
		return false
	}
	return true
}

// redisDownMetric is redis_up 0 for a probe that could not even start, so
// that the answer holds redis_up like every other failed probe.
func redisDownMetric() prometheus.Metric {
	return prometheus.MustNewConstMetric(
		prometheus.NewDesc("redis_up", "Whether the last INFO of the Redis server succeeded.", nil, nil),
		prometheus.GaugeValue, 0)
}

var redisTargets = newTargetCache[*redisc.Collector](64, 10*time.Minute)

func acquireRedis(cache *targetCache[*redisc.Collector], cfg redisc.Config, logger *slog.Logger) (*redisc.Collector, func(), error) {
	return cache.acquire(redisCacheKey(cfg), func() (*redisc.Collector, error) {
		return redisc.New(cfg, logger, redisc.WithoutServerLabel())
	})
}

// redisCacheKey tells apart everything that changes the client; the
// password enters only as a hash.
func redisCacheKey(cfg redisc.Config) string {
	pw := sha256.Sum256([]byte(cfg.Password.Value()))
	// The whole tls_config, inline PEMs and key included, as a hash too.
	tlsKey := sha256.Sum256(fmt.Appendf(nil, "%#v", cfg.TLSConfig))
	return fmt.Sprintf("%s\x00%s\x00%x\x00%t\x00%x\x00%s\x00%d", cfg.Address, cfg.Username, pw, cfg.TLS,
		tlsKey, cfg.Timeout, cfg.Databases)
}
