// Package postgres opens the receiver's store on PostgreSQL through pgx v5,
// for several receiver replicas sharing one database.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/golive-ops/golive/receiver/store/sqlstore"
)

// Options locate the database.
type Options struct {
	DSN string
	// Schema, when set, is the search_path (it must exist). Tests use it to
	// isolate themselves; deployments usually leave it empty.
	Schema   string
	MaxConns int // 0: 10
	Logger   *slog.Logger
	Now      func() time.Time // outbox lease clock; nil: time.Now
	// Timeout bounds every store call on the client (the context), on the
	// server (statement_timeout) and while connecting (connect_timeout, if
	// the DSN sets none); 0: sqlstore.DefaultTimeout.
	Timeout time.Duration
}

// errDSN is all a DSN parse error says: pgx's may quote the DSN, which can
// hold a password.
var errDSN = errors.New("postgres: the DSN cannot be parsed")

// ParseDSN is the parsing Open does, for `--config.check`: a DSN that
// passes here is one Open accepts.
func ParseDSN(dsn string) error {
	_, err := connConfig(Options{DSN: dsn})
	return err
}

func connConfig(o Options) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(o.DSN)
	if err != nil {
		return nil, errDSN
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = sqlstore.DefaultTimeout
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > timeout {
		cfg.ConnectTimeout = timeout
	}
	// A statement the server cannot finish in time is cancelled there too,
	// so its locks do not outlive the client's 503. A DSN's own setting
	// (options=-c statement_timeout=…) wins.
	if _, ok := cfg.RuntimeParams["statement_timeout"]; !ok {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	}
	// A replica that dies or hangs inside a transaction must not hold its
	// group locks for long.
	if _, ok := cfg.RuntimeParams["idle_in_transaction_session_timeout"]; !ok {
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(2*timeout.Milliseconds(), 10)
	}
	if o.Schema != "" {
		cfg.RuntimeParams["search_path"] = o.Schema
	}
	return cfg, nil
}

// Open connects, migrates and returns the store.
func Open(ctx context.Context, o Options) (*sqlstore.Store, error) {
	cfg, err := connConfig(o)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	if o.MaxConns <= 0 {
		o.MaxConns = 10
	}
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s, err := sqlstore.New(ctx, sqlstore.Options{Writer: db, Dialect: sqlstore.Postgres, Logger: o.Logger, Now: o.Now, Timeout: o.Timeout})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}
