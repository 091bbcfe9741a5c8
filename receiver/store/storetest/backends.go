package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/postgres"
	"github.com/golive-ops/golive/receiver/store/postgres/pgtest"
	"github.com/golive-ops/golive/receiver/store/sqlite"
)

// Backend opens a fresh, empty store of one kind for a test or benchmark;
// it is closed when the test ends.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Store
}

// Backends are both storage kinds: SQLite in a temporary file and
// PostgreSQL in a schema of its own (from testenv.PostgresDSN).
var Backends = []Backend{
	{"sqlite", func(t testing.TB) store.Store {
		s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t testing.TB) store.Store {
		dsn := testenv.PostgresDSN(t)
		s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: pgtest.Schema(t, dsn), MaxConns: 16})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}
