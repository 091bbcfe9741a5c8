package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

func (s *Store) ClaimJobs(ctx context.Context, queue, owner string, limit int, lease time.Duration) ([]store.OutboxItem, error) {
	if queue == "" || owner == "" || limit <= 0 || lease <= 0 {
		return nil, errors.New("claim jobs: queue, owner, limit and lease are required")
	}
	now := s.now()
	var items []store.OutboxItem
	err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		t := tx.(*txn)
		// An older item of the same ordering key that is not done (claimed,
		// waiting for a retry, or due) holds the younger ones back.
		rows, err := t.p().query(ctx, `UPDATE outbox SET claimed_by = ?, lease_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT o.id FROM outbox o
			             WHERE o.queue = ? AND o.done_at = 0 AND o.not_before <= ? AND o.lease_until <= ?
			               AND (o.ordering_key = '' OR NOT EXISTS (SELECT 1 FROM outbox p
			                    WHERE p.ordering_key = o.ordering_key AND p.done_at = 0 AND p.id < o.id))
			             ORDER BY o.id LIMIT ?`+s.d.SkipLocked+`)
			RETURNING `+outboxCols, owner, ns(now.Add(lease)), queue, ns(now), ns(now), limit)
		if err != nil {
			return unavailable("claim jobs", err)
		}
		items, err = collectOutbox(rows)
		return err
	})
	return items, err
}

func (s *Store) RenewJob(ctx context.Context, id int64, owner string, lease time.Duration) error {
	return s.finishOutbox(ctx, `UPDATE outbox SET lease_until = ? WHERE id = ? AND claimed_by = ? AND done_at = 0`,
		ns(s.now().Add(lease)), id, owner)
}

func (s *Store) ReleaseJob(ctx context.Context, id int64, owner string) error {
	return s.finishOutbox(ctx, `UPDATE outbox SET claimed_by = '', lease_until = 0, attempts = attempts - 1
		WHERE id = ? AND claimed_by = ? AND done_at = 0`, id, owner)
}
