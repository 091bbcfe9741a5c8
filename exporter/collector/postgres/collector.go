// Package postgres collects a PostgreSQL server's statistics under
// postgres_exporter's metric names, over a small persistent connection pool.
package postgres

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Collector scrapes one server. In /metrics its metrics carry
// server="<name>" so that several servers can share one exporter.
type Collector struct {
	name    string
	cfg     Config
	pool    *pgxpool.Pool
	scraper *scraper
}

// Option changes how New builds a collector.
type Option func(*options)

type options struct{ serverLabel bool }

// WithoutServerLabel leaves out the server label, for /probe, which answers
// exactly as postgres_exporter would (Prometheus adds instance itself).
func WithoutServerLabel() Option { return func(o *options) { o.serverLabel = false } }

// New builds the collector and its pool without touching the network: the
// first connection is opened by the first scrape.
func New(cfg Config, logger *slog.Logger, opts ...Option) (*Collector, error) {
	o := options{serverLabel: true}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultConfig.Timeout
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultConfig.MaxConns
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("postgres %q: %w", cfg.Name, err)
	}
	pc, err := cfg.PoolConfig()
	if err != nil {
		return nil, fmt.Errorf("postgres %q: %w", cfg.Name, err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("postgres %q: create pool: %w", cfg.Name, err)
	}
	var constLabels prometheus.Labels
	if o.serverLabel {
		constLabels = prometheus.Labels{"server": cfg.Name}
	}
	return &Collector{
		name:    cfg.Name,
		cfg:     cfg,
		pool:    pool,
		scraper: newScraper(constLabels, logger.With("server", cfg.Name)),
	}, nil
}

// Name is the kind of source.
func (c *Collector) Name() string { return "postgres" }

// Target is the configured server name.
func (c *Collector) Target() string { return c.name }

// Update scrapes the server within the configured timeout and ctx's deadline,
// whichever ends first; pg_up is always sent.
func (c *Collector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	_, err := c.Scrape(ctx, ch)
	return err
}

// Scrape is Update that also reports pg_up: whether the server answered.
// A statement can fail (err != nil) on a server that answered.
func (c *Collector) Scrape(ctx context.Context, ch chan<- prometheus.Metric) (up bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	return c.scraper.Scrape(ctx, c.pool, ch)
}

// Pool is the collector's connection pool, shared with the SQL checks that
// name this server.
func (c *Collector) Pool() *pgxpool.Pool { return c.pool }

// Close closes the pool, waiting for connections in use to be released.
func (c *Collector) Close() error {
	c.pool.Close()
	return nil
}
