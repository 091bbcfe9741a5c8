// Package pgtest gives each test its own PostgreSQL schema.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Schema creates a fresh schema on dsn, dropped when the test ends, and
// returns its name (use it as postgres.Options.Schema).
func Schema(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "golive_test_" + hex.EncodeToString(b)
	exec(t, dsn, "CREATE SCHEMA "+name)
	t.Cleanup(func() { exec(t, dsn, "DROP SCHEMA "+name+" CASCADE") })
	return name
}

func exec(t testing.TB, dsn, sql string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
