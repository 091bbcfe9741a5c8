package sqlstore

import (
	"context"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// The subqueries pick the oldest rows by the age indexes of migration 0002
// (LIMIT inside IN works on both engines).

func (s *Store) PruneWebhooks(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.prune(ctx, "prune webhooks", `DELETE FROM webhooks WHERE id IN (
		SELECT id FROM webhooks WHERE received_at < ? ORDER BY received_at LIMIT ?)`, ns(before), limit)
}

func (s *Store) PruneOccurrences(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.prune(ctx, "prune occurrences", `DELETE FROM occurrences WHERE id IN (
		SELECT o.id FROM occurrences o WHERE o.ends_at <> 0 AND o.ends_at < ?
		  AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = o.incident_id
		                  AND i.state IN ('new', 'acknowledged', 'in_progress'))
		ORDER BY o.ends_at LIMIT ?)`, ns(before), limit)
}

func (s *Store) PruneIncidents(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		p := tx.(*txn).p()
		rows, err := p.query(ctx, `SELECT id FROM incidents WHERE state = 'closed' AND closed_at < ?
			ORDER BY closed_at LIMIT ?`+s.d.SkipLocked, ns(before), limit)
		if err != nil {
			return unavailable("prune incidents", err)
		}
		ids, err := collect(rows, "prune incidents", func(sc scanner) (int64, error) {
			var id int64
			return id, sc.Scan(&id)
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		in := placeholders(len(ids))
		// The timeline goes with its incident (migration 0002: a cascade on
		// PostgreSQL, a trigger on SQLite); nothing else deletes events.
		for _, q := range []string{
			`DELETE FROM occurrences WHERE incident_id IN (` + in + `)`,
			`DELETE FROM outbox WHERE incident_id IN (` + in + `)`,
			`DELETE FROM remediations WHERE incident_id IN (` + in + `)`,
			`DELETE FROM incidents WHERE id IN (` + in + `)`,
		} {
			if _, err := p.exec(ctx, q, args...); err != nil {
				return unavailable("prune incidents", err)
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

func (s *Store) PruneGateDecisions(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.prune(ctx, "prune gate decisions", `DELETE FROM gate_decisions WHERE id IN (
		SELECT d.id FROM gate_decisions d WHERE d.evaluated_at < ?
		  AND d.id < (SELECT max(n.id) FROM gate_decisions n WHERE n.gate = d.gate)
		ORDER BY d.id LIMIT ?)`, ns(before), limit)
}

func (s *Store) prune(ctx context.Context, op, q string, args ...any) (int, error) {
	var n int64
	err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.(*txn).p().exec(ctx, q, args...)
		if err != nil {
			return unavailable(op, err)
		}
		n, err = res.RowsAffected()
		if err != nil {
			return unavailable(op, err)
		}
		return nil
	})
	return int(n), err
}
