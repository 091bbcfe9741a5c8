// Package sqlite opens the receiver's embedded store: one SQLite file in WAL
// mode with synchronous=FULL, so a committed webhook survives a power cut,
// not only a crash.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/golive-ops/golive/receiver/store/sqlstore"
)

// Options locate the database file.
type Options struct {
	Path   string
	Logger *slog.Logger
	Now    func() time.Time // outbox lease clock; nil: time.Now
	// Timeout bounds every store call and is SQLite's busy_timeout, so a
	// writer lock held by another process answers ErrUnavailable within it
	// (0: sqlstore.DefaultTimeout).
	Timeout time.Duration
	// MinFreeBytes: CheckWritable fails when the database's filesystem has
	// less free space than this (0: 32 MiB, one webhook at the default
	// webhook.max_body_bytes).
	MinFreeBytes int64
}

// Open creates (if needed), migrates and opens the database at o.Path.
func Open(ctx context.Context, o Options) (*sqlstore.Store, error) {
	path := o.Path
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	// One writer connection: SQLite allows one writer at a time anyway, and
	// queueing in Go avoids SQLITE_BUSY on lock upgrades. Readers use their
	// own pool and never block the writer in WAL mode.
	if o.Timeout <= 0 {
		o.Timeout = sqlstore.DefaultTimeout
	}
	if o.MinFreeBytes <= 0 {
		o.MinFreeBytes = 32 << 20
	}
	writer, err := sql.Open("sqlite", dsn(path, false, o.Timeout))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetConnMaxIdleTime(0)
	reader, err := sql.Open("sqlite", dsn(path, true, o.Timeout))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	reader.SetMaxOpenConns(4)
	s, err := sqlstore.New(ctx, sqlstore.Options{Writer: writer, Reader: reader, Dialect: sqlstore.SQLite, Logger: o.Logger, Now: o.Now,
		Timeout: o.Timeout, CheckSpace: func() error { return checkFree(filepath.Dir(path), o.MinFreeBytes) }})
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return s, nil
}

func dsn(path string, readOnly bool, busy time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL syncs the WAL on every commit: 200 means on disk.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}
