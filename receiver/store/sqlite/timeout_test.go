package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/sqlite"
	"github.com/golive-ops/golive/receiver/store/storetest"
)

// Another process (here: another connection, which SQLite cannot tell
// apart) holding the writer lock must cost a webhook the store's timeout,
// then ErrUnavailable (503), not SQLite's old 10 s busy wait.
func TestWriterLockHeldElsewhereTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	const timeout = 300 * time.Millisecond
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: path, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	err = s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertWebhook(ctx, &store.Webhook{Hash: "h", ReceivedAt: storetest.T0, Body: []byte("{}")})
		return err
	})
	elapsed := time.Since(start)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Update under a foreign writer lock: err = %v, want ErrUnavailable", err)
	}
	// Generous: the point is the 300ms bound, not SQLite's former 10s.
	if elapsed > 3*time.Second {
		t.Fatalf("Update took %s under a foreign writer lock, want about %s", elapsed, timeout)
	}
	if err := s.CheckWritable(context.Background()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("CheckWritable under a foreign writer lock: err = %v, want ErrUnavailable", err)
	}

	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(context.Background()); err != nil {
		t.Fatalf("CheckWritable after the lock is released: %v", err)
	}
}
