package exporter

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/golive-ops/golive/exporter/collector"
	"github.com/golive-ops/golive/exporter/collector/backup"
	"github.com/golive-ops/golive/exporter/collector/host"
	"github.com/golive-ops/golive/exporter/collector/postgres"
	"github.com/golive-ops/golive/exporter/collector/redis"
	"github.com/golive-ops/golive/exporter/collector/services"
	"github.com/golive-ops/golive/exporter/collector/sqlcheck"
	"github.com/golive-ops/golive/exporter/config"
	"github.com/golive-ops/golive/exporter/prober"
)

// built is what one config turns into: the collectors of /metrics and the
// resources to release when they are swapped out.
type built struct {
	collectors []collector.Collector
	closers    []collector.Closer
}

// build constructs every collector cfg describes, one line per kind. The
// constructors do not touch the network (pools connect lazily), so building
// is quick and a bad config fails here, before anything is swapped. On error
// whatever was already built is closed.
func build(cfg *config.Config, logger *slog.Logger) (b *built, err error) {
	b = &built{}
	defer func() {
		if err != nil {
			b.close(logger)
			b = nil
		}
	}()
	if cfg.Host != nil && cfg.Host.Enabled {
		cs, err := host.New(*cfg.Host, logger) // names each sub-collector itself
		if err != nil {
			return b, fmt.Errorf("host: %w", err)
		}
		b.collectors = append(b.collectors, cs...)
	}
	if cfg.Services != nil {
		c, err := services.New(*cfg.Services, logger.With("collector", "services"))
		if err != nil {
			return b, fmt.Errorf("services: %w", err)
		}
		b.add(c)
	}
	for i, bc := range cfg.Backups {
		c, err := backup.New(bc, logger.With("collector", "backup", "target", bc.Name))
		if err != nil {
			return b, fmt.Errorf("backups[%d] %q: %w", i, bc.Name, err)
		}
		b.add(c)
	}
	pools, err := b.addPostgres(cfg.Postgres, logger)
	if err != nil {
		return b, err
	}
	for i, sc := range cfg.SQLChecks {
		// config.Parse guarantees the reference resolves.
		c, err := sqlcheck.New(sc, pools[sc.Postgres].Pool(), logger.With("collector", "sqlcheck", "target", sc.Name))
		if err != nil {
			return b, fmt.Errorf("sql_checks[%d] %q: %w", i, sc.Name, err)
		}
		b.add(c)
	}
	for i, rc := range cfg.Redis {
		c, err := redis.New(rc, logger.With("collector", "redis", "target", rc.Name))
		if err != nil {
			return b, fmt.Errorf("redis[%d] %q: %w", i, rc.Name, err)
		}
		b.add(c)
	}
	for _, p := range cfg.Probes {
		for _, target := range p.Targets {
			b.add(prober.NewCollector(p.Module, cfg.Modules[p.Module], target, logger.With("collector", "probe")))
		}
	}
	return b, nil
}

func (b *built) addPostgres(cfgs []postgres.Config, logger *slog.Logger) (map[string]*postgres.Collector, error) {
	pools := make(map[string]*postgres.Collector, len(cfgs))
	for i, pc := range cfgs {
		c, err := postgres.New(pc, logger.With("collector", "postgres"))
		if err != nil {
			return nil, fmt.Errorf("postgres[%d] %q: %w", i, pc.Name, err)
		}
		b.add(c)
		pools[pc.Name] = c
	}
	return pools, nil
}

// add appends c, and remembers it for closing when it holds resources.
func (b *built) add(c collector.Collector) {
	b.collectors = append(b.collectors, c)
	if cl, ok := c.(collector.Closer); ok {
		b.closers = append(b.closers, cl)
	}
}

func (b *built) close(logger *slog.Logger) {
	var errs []error
	for _, c := range b.closers {
		errs = append(errs, c.Close())
	}
	if err := errors.Join(errs...); err != nil {
		logger.Warn("closing collectors", "err", err)
	}
}
