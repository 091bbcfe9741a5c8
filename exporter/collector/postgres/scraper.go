package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// scraper turns one PostgreSQL server's statistics into postgres_exporter's
// metrics. There is one per server (it remembers database sizes); it is
// safe for concurrent scrapes of that server.
type scraper struct {
	d        *descs
	settings *settingDescs
	sizes    *sizeCache
	logger   *slog.Logger
}

// newScraper returns a scraper whose metrics carry constLabels (nil for none).
func newScraper(constLabels prometheus.Labels, logger *slog.Logger) *scraper {
	return &scraper{
		d:        newDescs(constLabels),
		settings: &settingDescs{constLabels: constLabels},
		sizes:    &sizeCache{},
		logger:   logger,
	}
}

// Scrape reads the server behind pool and sends its metrics to ch. It always
// sends pg_up: 1 when the server answered, 0 when it could not be reached in
// time. It returns the first error; a failed statement does not stop the
// others. ctx bounds everything, connecting included.
func (s *scraper) Scrape(ctx context.Context, pool *pgxpool.Pool, ch chan<- prometheus.Metric) (up bool, err error) {
	up, err = s.scrape(ctx, pool, ch)
	v := 0.0
	if up {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(s.d.up, prometheus.GaugeValue, v)
	return up, err
}

func (s *scraper) scrape(ctx context.Context, pool *pgxpool.Pool, ch chan<- prometheus.Metric) (up bool, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()

	var (
		errs    []error
		queries []query
		sds     []*pgconn.StatementDescription
	)
	for _, q := range queriesFor(majorVersion(conn.Conn().PgConn().ParameterStatus("server_version"))) {
		// Prepared once per connection (Prepare is a no-op afterwards): the
		// server keeps the plans, which saves it parsing and planning on
		// every scrape.
		sd, err := conn.Conn().Prepare(ctx, q.name, q.sql)
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr):
			// The server answered but cannot run this statement (an
			// unsupported version, say): run the others.
			up = true
			errs = append(errs, fmt.Errorf("prepare %s: %w", q.name, err))
			continue
		case err != nil:
			return false, fmt.Errorf("prepare %s: %w", q.name, err)
		}
		queries, sds = append(queries, q), append(sds, sd)
	}

	pipeline := conn.Conn().PgConn().StartPipeline(ctx)
	for i, sd := range sds {
		var args [][]byte
		if queries[i].args != nil {
			args = queries[i].args(s, conn.Conn().PgConn().PID())
		}
		pipeline.SendQueryStatement(sd, args, nil, nil)
		pipeline.SendPipelineSync()
	}
	if err := pipeline.Flush(); err != nil {
		pipeline.Close()
		return false, fmt.Errorf("send queries: %w", err)
	}

	for _, q := range queries {
		qerr := s.readResult(pipeline, q, ch)
		if qerr == nil {
			up = true
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %w", q.name, qerr))
		var pgErr *pgconn.PgError
		if !errors.As(qerr, &pgErr) {
			// The connection is gone (timeout, reset): nothing more to read.
			break
		}
		up = true // the server answered, if only with an error
	}
	if err := pipeline.Close(); err != nil && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("close pipeline: %w", err))
	}
	return up, errors.Join(errs...)
}

// readResult reads one statement's result and its sync point.
func (s *scraper) readResult(pipeline *pgconn.Pipeline, q query, ch chan<- prometheus.Metric) error {
	res, err := pipeline.GetResults()
	if err != nil {
		if syncErr := readSync(pipeline); syncErr != nil {
			return errors.Join(err, syncErr)
		}
		return err
	}
	rr, ok := res.(*pgconn.ResultReader)
	if !ok {
		return fmt.Errorf("unexpected pipeline result %T", res)
	}
	emitErr := q.emit(s, rr, ch)
	if _, err := rr.Close(); err != nil {
		emitErr = errors.Join(emitErr, err)
	}
	if err := readSync(pipeline); err != nil {
		return errors.Join(emitErr, err)
	}
	return emitErr
}

func readSync(pipeline *pgconn.Pipeline) error {
	res, err := pipeline.GetResults()
	if err != nil {
		return err
	}
	if _, ok := res.(*pgconn.PipelineSync); !ok {
		return fmt.Errorf("expected pipeline sync, got %T", res)
	}
	return nil
}
