package prober

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	redisc "github.com/golive-ops/golive/exporter/collector/redis"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/prometheus/client_golang/prometheus"
	pconfig "github.com/prometheus/common/config"
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

// UnmarshalYAML decodes strictly and validates, naming the field and its line.
func (p *RedisProbe) UnmarshalYAML(unmarshal func(any) error) error {
	var node nodeCapture
	if err := unmarshal(&node); err != nil {
		return err
	}
	*p = RedisProbe{}
	type redisSection RedisProbe
	if err := unmarshal((*redisSection)(p)); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return node.locate("redis", err)
	}
	return nil
}

// Validate checks the settings; each error starts with its yaml field.
func (p *RedisProbe) Validate() error {
	if p.Password != "" && p.PasswordFile != "" {
		return fmt.Errorf("password_file: %w", secret.ErrBoth)
	}
	if p.Databases < 0 {
		return fmt.Errorf("databases: must not be negative, got %d", p.Databases)
	}
	return p.TLSConfig.Validate()
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
	cfg.TLSConfig = pconfig.TLSConfig{
		CAFile:             p.TLSConfig.CAFile,
		CertFile:           p.TLSConfig.CertFile,
		KeyFile:            p.TLSConfig.KeyFile,
		ServerName:         p.TLSConfig.ServerName,
		InsecureSkipVerify: p.TLSConfig.InsecureSkipVerify,
	}
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
		return false
	}
	c, release, err := redisTargets.acquire(cfg, logger)
	if err != nil {
		logger.Error("Invalid redis probe", "err", err)
		return false
	}
	defer release()

	ch := make(chan prometheus.Metric, 64)
	var metrics []prometheus.Metric
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range ch {
			metrics = append(metrics, m)
		}
	}()
	err = c.Update(ctx, ch)
	close(ch)
	<-done
	registry.MustRegister(metricList(metrics))
	if err != nil {
		logger.Error("Redis scrape failed", "err", err)
		return false
	}
	return true
}

// metricList is an unchecked collector that replays metrics gathered under
// the probe's context (Collect itself has no context).
type metricList []prometheus.Metric

func (l metricList) Describe(chan<- *prometheus.Desc) {}

func (l metricList) Collect(ch chan<- prometheus.Metric) {
	for _, m := range l {
		ch <- m
	}
}

// redisTargets keeps a client per target and module settings between probes,
// so that a probe every 15s reuses its connection instead of dialling and
// authenticating anew. It is package state because a ProbeFn has nowhere
// else to keep it; it is bounded in size and idle time.
var redisTargets = &redisClientCache{max: 64, idle: 10 * time.Minute, entries: map[string]*redisCacheEntry{}}

type redisClientCache struct {
	mu      sync.Mutex
	max     int
	idle    time.Duration
	entries map[string]*redisCacheEntry
}

type redisCacheEntry struct {
	c        *redisc.Collector
	inUse    int
	lastUsed time.Time
}

// acquire returns the collector for cfg, building it on first use, and a
// func to call when the probe is done with it.
func (cc *redisClientCache) acquire(cfg redisc.Config, logger *slog.Logger) (*redisc.Collector, func(), error) {
	key := redisCacheKey(cfg)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	now := time.Now()
	e, ok := cc.entries[key]
	if !ok {
		cc.evictLocked(now)
		c, err := redisc.New(cfg, logger, redisc.WithoutServerLabel())
		if err != nil {
			return nil, nil, err
		}
		e = &redisCacheEntry{c: c}
		cc.entries[key] = e
	}
	e.inUse++
	e.lastUsed = now
	return e.c, func() {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		e.inUse--
		e.lastUsed = time.Now()
	}, nil
}

// evictLocked closes clients idle for too long and, while the cache is
// full, the least recently used idle ones. Clients in use are never closed,
// so a burst of concurrent targets may exceed the bound until they finish.
func (cc *redisClientCache) evictLocked(now time.Time) {
	var idle []string
	for key, e := range cc.entries {
		switch {
		case e.inUse > 0:
		case now.Sub(e.lastUsed) > cc.idle:
			cc.closeLocked(key)
		default:
			idle = append(idle, key)
		}
	}
	slices.SortFunc(idle, func(a, b string) int { return cc.entries[a].lastUsed.Compare(cc.entries[b].lastUsed) })
	for _, key := range idle {
		if len(cc.entries) < cc.max {
			return
		}
		cc.closeLocked(key)
	}
}

func (cc *redisClientCache) closeLocked(key string) {
	cc.entries[key].c.Close()
	delete(cc.entries, key)
}

// len reports how many clients are cached (for tests).
func (cc *redisClientCache) len() int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return len(cc.entries)
}

// redisCacheKey tells apart everything that changes the client; the
// password enters only as a hash.
func redisCacheKey(cfg redisc.Config) string {
	pw := sha256.Sum256([]byte(cfg.Password.Value()))
	return fmt.Sprintf("%s\x00%s\x00%x\x00%t\x00%s|%s|%s|%s|%t\x00%s\x00%d", cfg.Address, cfg.Username, pw, cfg.TLS,
		cfg.TLSConfig.CAFile, cfg.TLSConfig.CertFile, cfg.TLSConfig.KeyFile, cfg.TLSConfig.ServerName,
		cfg.TLSConfig.InsecureSkipVerify, cfg.Timeout, cfg.Databases)
}
