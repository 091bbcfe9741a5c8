package sqlstore

import (
	"context"
	"fmt"

	"github.com/golive-ops/golive/receiver/store"
)

// CheckWritable commits a heartbeat through the writer, as a webhook would.
func (s *Store) CheckWritable(ctx context.Context) error {
	if s.checkSpace != nil {
		if err := s.checkSpace(); err != nil {
			return fmt.Errorf("check writable: %w: %w", store.ErrUnavailable, err)
		}
	}
	return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.(*txn).p().exec(ctx, `INSERT INTO heartbeat (id, at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at`, ns(s.now()))
		if err != nil {
			return unavailable("heartbeat", err)
		}
		return nil
	})
}
