package store

import "context"

// Health is what /-/ready asks the store.
type Health interface {
	// CheckWritable reports whether a write would commit now: it commits a
	// heartbeat row (a read-only or locked database, a PostgreSQL standby
	// fail it), and on SQLite also checks the filesystem's free space,
	// since SQLite reuses its WAL's space and a small write succeeds on a
	// full disk. Errors wrap ErrUnavailable. Safe concurrently.
	CheckWritable(ctx context.Context) error
}
