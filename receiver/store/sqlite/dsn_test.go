package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// The durability promise rests on these pragmas being in force on every
// connection the writer pool opens.
func TestDurablePragmas(t *testing.T) {
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "p.db"), false, 1500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var sync, busy int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA busy_timeout").Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 || busy != 1500 {
		t.Fatalf("journal_mode=%s synchronous=%d busy_timeout=%d, want wal, 2 (FULL), 1500", mode, sync, busy)
	}
}
