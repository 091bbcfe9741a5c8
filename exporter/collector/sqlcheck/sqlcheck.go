// Package sqlcheck runs named read-only SQL queries (a migration's row
// counts, an orphan count) and exposes their numeric results as metrics.
package sqlcheck

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/exporter/collector"
)

// Querier starts transactions; *pgxpool.Pool (the postgres collector's pool)
// and *pgx.Conn satisfy it.
type Querier interface {
	BeginTx(ctx context.Context, txOptions pgx.TxOptions) (pgx.Tx, error)
}

type check struct {
	cfg                  Config
	db                   Querier
	logger               *slog.Logger
	value                *prometheus.Desc
	success, durationSec *prometheus.Desc
}

// New returns the collector for one check. It does not touch the database.
func New(cfg Config, db Querier, logger *slog.Logger) (collector.Collector, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultConfig.Timeout
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fmt.Errorf("sql check %q: no database for postgres %q", cfg.Name, cfg.Postgres)
	}
	checkLabel := prometheus.Labels{"check": cfg.Name}
	return &check{
		cfg:    cfg,
		db:     db,
		logger: logger.With("check", cfg.Name),
		value: prometheus.NewDesc("golive_sqlcheck_value",
			"Value of a numeric column of a row returned by a read-only SQL check.",
			append([]string{"column"}, cfg.Labels...), checkLabel),
		success: prometheus.NewDesc("golive_sqlcheck_success",
			"Whether the SQL check's query last ran successfully (1) or failed (0).", nil, checkLabel),
		durationSec: prometheus.NewDesc("golive_sqlcheck_duration_seconds",
			"How long the SQL check's query last took, in seconds.", nil, checkLabel),
	}, nil
}

func (c *check) Name() string   { return "sqlcheck" }
func (c *check) Target() string { return c.cfg.Name }

// Update runs the query and always sends success and duration; values are
// sent only when the whole result was read, never a partial one.
func (c *check) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	start := time.Now()
	values, err := c.run(ctx)
	ok := 0.0
	if err == nil {
		ok = 1
		for _, m := range values {
			ch <- m
		}
	}
	ch <- prometheus.MustNewConstMetric(c.success, prometheus.GaugeValue, ok)
	ch <- prometheus.MustNewConstMetric(c.durationSec, prometheus.GaugeValue, time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("sql check %q: %w", c.cfg.Name, err)
	}
	return nil
}

// run executes the query in a READ ONLY transaction that is always rolled
// back, with statement_timeout set for that transaction only. The extended
// protocol pgx uses runs exactly one statement, so a query cannot end the
// transaction and continue outside it ("SELECT 1; COMMIT; DELETE ...").
func (c *check) run(ctx context.Context) ([]prometheus.Metric, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	tx, err := c.db.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin read-only transaction: %w", err)
	}
	// A failed rollback makes pgx close the connection, which ends the
	// transaction as surely.
	defer func() { _ = tx.Rollback(ctx) }()

	batch := &pgx.Batch{}
	batch.Queue("SELECT set_config('statement_timeout', $1, true)", strconv.FormatInt(c.cfg.Timeout.Milliseconds(), 10))
	batch.Queue(c.cfg.Query)
	br := tx.SendBatch(ctx, batch)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("set statement_timeout: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	return c.metrics(rows)
}

func (c *check) metrics(rows pgx.Rows) ([]prometheus.Metric, error) {
	fields := rows.FieldDescriptions()
	columns := make([]string, len(fields))
	for i, f := range fields {
		columns[i] = f.Name
	}
	labelIdx, err := labelColumns(columns, c.cfg.Labels)
	if err != nil {
		return nil, err
	}
	isLabel := map[int]bool{}
	for _, i := range labelIdx {
		isLabel[i] = true
	}

	var out []prometheus.Metric
	seen := map[string]int{}
	for rowNum := 1; rows.Next(); rowNum++ {
		vals, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", rowNum, err)
		}
		labels := make([]string, 1, 1+len(labelIdx))
		for _, i := range labelIdx {
			labels = append(labels, labelValue(vals[i]))
		}
		for i, v := range vals {
			f, ok := numeric(v)
			if isLabel[i] || !ok {
				continue // text columns are ignored unless listed in labels
			}
			labels[0] = columns[i]
			key := strings.Join(labels, "\xff")
			if first, dup := seen[key]; dup {
				return nil, fmt.Errorf("row %d column %q repeats the labels of row %d; list the column that tells rows apart in labels", rowNum, columns[i], first)
			}
			seen[key] = rowNum
			m, err := prometheus.NewConstMetric(c.value, prometheus.GaugeValue, f, labels...)
			if err != nil { // a label value that is not UTF-8 (bytea, a SQL_ASCII database)
				return nil, fmt.Errorf("row %d column %q: %w", rowNum, columns[i], err)
			}
			out = append(out, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return out, nil
}

// labelColumns returns the result column index of each configured label.
func labelColumns(columns, labels []string) ([]int, error) {
	idx := make([]int, 0, len(labels))
	for _, l := range labels {
		found := -1
		for i, c := range columns {
			if c == l {
				found = i
				break
			}
		}
		if found < 0 {
			return nil, fmt.Errorf("labels: column %q is not in the result (columns: %s)", l, strings.Join(columns, ", "))
		}
		idx = append(idx, found)
	}
	return idx, nil
}

// numeric converts a column value to a sample: numbers as they are, booleans
// as 1/0, timestamps as Unix seconds. NULL and text are not samples.
func numeric(v any) (float64, bool) {
	switch x := v.(type) {
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return 0, false
		}
		return f.Float64, true
	case time.Time:
		return float64(x.UnixNano()) / 1e9, true
	}
	return 0, false
}

func labelValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	if f, ok := numeric(v); ok && !math.IsNaN(f) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
