// Package postgres opens the receiver's store on PostgreSQL through pgx v5,
// for several receiver replicas sharing one database.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
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
}

// Open connects, migrates and returns the store.
func Open(ctx context.Context, o Options) (*sqlstore.Store, error) {
	cfg, err := pgx.ParseConfig(o.DSN)
	if err != nil {
		// pgx's parse errors may quote the DSN, which can hold a password.
		return nil, fmt.Errorf("postgres: the DSN cannot be parsed")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if o.Schema != "" {
		cfg.RuntimeParams["search_path"] = o.Schema
	}
	db := stdlib.OpenDB(*cfg)
	if o.MaxConns <= 0 {
		o.MaxConns = 10
	}
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s, err := sqlstore.New(ctx, sqlstore.Options{Writer: db, Dialect: sqlstore.Postgres, Logger: o.Logger, Now: o.Now})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}
