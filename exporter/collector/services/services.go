// Package services reports whether the named services run: from systemd
// over D-Bus, as node_exporter's systemd collector does, or, where there is
// no systemd (containers, other inits), from the process table.
package services

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/exporter/collector"
)

type servicesCollector struct {
	services []Service
	backend  string
	logger   *slog.Logger

	procRoot   string // /proc
	systemdDir string // exists when systemd is PID 1 (sd_booted(3))
	dial       func(ctx context.Context) (unitClient, error)

	mu   sync.Mutex
	conn unitClient // kept between scrapes; nil after an error
}

// New returns the collector for cfg. It does not touch D-Bus: the connection
// is made on the first scrape that needs it.
func New(cfg Config, logger *slog.Logger) (collector.Collector, error) {
	return newCollector(cfg, logger)
}

func newCollector(cfg Config, logger *slog.Logger) (*servicesCollector, error) {
	svcs, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &servicesCollector{
		services:   svcs,
		backend:    cfg.Backend,
		logger:     logger,
		procRoot:   "/proc",
		systemdDir: "/run/systemd/system",
		dial:       dialSystemd,
	}, nil
}

func (c *servicesCollector) Name() string   { return "services" }
func (c *servicesCollector) Target() string { return "" }

// Close releases the D-Bus connection (collector.Closer).
func (c *servicesCollector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
	return nil
}

func (c *servicesCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	switch c.backend {
	case BackendSystemd:
		return c.run(ctx, ch, BackendSystemd, c.systemdMetrics)
	case BackendProcess:
		return c.run(ctx, ch, BackendProcess, c.processMetrics)
	}
	if c.systemdBooted() {
		err := c.run(ctx, ch, BackendSystemd, c.systemdMetrics)
		if err == nil {
			return nil
		}
		c.logger.Warn("systemd did not answer on D-Bus; using the process table", "err", err)
	}
	return c.run(ctx, ch, BackendProcess, c.processMetrics)
}

// run collects from one backend and sends its metrics and the backend info
// only when it succeeded, so that a failed systemd attempt leaves nothing
// half-sent before auto falls back to the process table.
func (c *servicesCollector) run(ctx context.Context, ch chan<- prometheus.Metric, backend string,
	collect func(context.Context) ([]prometheus.Metric, error),
) error {
	ms, err := collect(ctx)
	if err != nil {
		return fmt.Errorf("%s backend: %w", backend, err)
	}
	for _, m := range ms {
		ch <- m
	}
	ch <- prometheus.MustNewConstMetric(backendInfoDesc, prometheus.GaugeValue, 1, backend)
	return nil
}

func (c *servicesCollector) systemdBooted() bool {
	fi, err := os.Lstat(c.systemdDir)
	return err == nil && fi.IsDir()
}
