package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/sqlite"
	"github.com/golive-ops/golive/receiver/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db"), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// Reopening an existing file must not re-run migrations or lose data.
func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		w := &store.Webhook{Hash: "h", ReceivedAt: storetest.T0, Body: []byte("{}")}
		if _, err := tx.InsertWebhook(ctx, w); err != nil {
			return err
		}
		_, err := tx.UpsertOccurrences(ctx, w.ID, []store.Occurrence{{Fingerprint: "f", StartsAt: storetest.T0, Labels: map[string]string{}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, sqlite.Options{Path: path})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.Occurrence(ctx, "f", storetest.T0); err != nil {
		t.Fatalf("occurrence lost across reopen: %v", err)
	}
}
