package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

func (s *Store) Incident(ctx context.Context, id int64) (store.Incident, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return incidentByID(ctx, s.read(), id, "")
}

func (s *Store) ListIncidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		where []string
		args  []any
	)
	if len(f.States) > 0 {
		where = append(where, "state IN ("+placeholders(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if len(f.Priorities) > 0 {
		where = append(where, "priority IN ("+placeholders(len(f.Priorities))+")")
		for _, p := range f.Priorities {
			args = append(args, string(p))
		}
	}
	if f.Service != "" {
		where = append(where, "service = ?")
		args = append(args, f.Service)
	}
	if !f.OpenedAfter.IsZero() {
		where = append(where, "opened_at >= ?")
		args = append(args, ns(f.OpenedAfter))
	}
	if !f.OpenedBefore.IsZero() {
		where = append(where, "opened_at < ?")
		args = append(args, ns(f.OpenedBefore))
	}
	q := `SELECT ` + incidentCols + ` FROM incidents`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, unavailable("list incidents", err)
	}
	return collectIncidents(rows)
}

func (s *Store) Timeline(ctx context.Context, incidentID int64) ([]store.Event, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.read().query(ctx, `SELECT `+eventCols+` FROM events WHERE incident_id = ? ORDER BY id`, incidentID)
	if err != nil {
		return nil, unavailable("timeline", err)
	}
	return collect(rows, "timeline", scanEvent)
}

func collectOccurrences(rows *sql.Rows) ([]store.Occurrence, error) {
	return collect(rows, "occurrences", scanOccurrence)
}

func (s *Store) Occurrences(ctx context.Context, incidentID int64) ([]store.Occurrence, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.read().query(ctx, `SELECT `+occurrenceCols+` FROM occurrences WHERE incident_id = ? ORDER BY id`, incidentID)
	if err != nil {
		return nil, unavailable("occurrences", err)
	}
	return collectOccurrences(rows)
}

func (s *Store) Occurrence(ctx context.Context, fingerprint string, startsAt time.Time) (store.Occurrence, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.read().query(ctx, `SELECT `+occurrenceCols+` FROM occurrences WHERE fingerprint = ? AND starts_at = ?`,
		fingerprint, ns(startsAt))
	if err != nil {
		return store.Occurrence{}, unavailable("occurrence", err)
	}
	occs, err := collectOccurrences(rows)
	if err != nil {
		return store.Occurrence{}, err
	}
	if len(occs) == 0 {
		return store.Occurrence{}, fmt.Errorf("occurrence %s@%s: %w", fingerprint, startsAt.Format(time.RFC3339Nano), store.ErrNotFound)
	}
	return occs[0], nil
}

func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	st := store.Stats{OpenIncidents: map[store.Priority]int{}}
	rows, err := s.read().query(ctx, `SELECT priority, count(*) FROM incidents
		WHERE state IN ('new', 'acknowledged', 'in_progress') GROUP BY priority`)
	if err != nil {
		return st, unavailable("stats", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p string
			n int
		)
		if err := rows.Scan(&p, &n); err != nil {
			return st, unavailable("stats", err)
		}
		st.OpenIncidents[store.Priority(p)] = n
	}
	if err := rows.Err(); err != nil {
		return st, unavailable("stats", err)
	}
	err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE done_at = 0 AND queue = 'notify'`).Scan(&st.OutboxDepth)
	if err != nil {
		return st, unavailable("stats", err)
	}
	return st, nil
}

// collectOutbox orders items by id: RETURNING (the claim) has no order.
func collectOutbox(rows *sql.Rows) ([]store.OutboxItem, error) {
	out, err := collect(rows, "outbox", scanOutbox)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

func (s *Store) Outbox(ctx context.Context, incidentID int64) ([]store.OutboxItem, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	q, args := `SELECT `+outboxCols+` FROM outbox ORDER BY id`, []any{}
	if incidentID != 0 {
		q, args = `SELECT `+outboxCols+` FROM outbox WHERE incident_id = ? ORDER BY id`, []any{incidentID}
	}
	rows, err := s.read().query(ctx, q, args...)
	if err != nil {
		return nil, unavailable("outbox", err)
	}
	return collectOutbox(rows)
}

// ClaimOutbox claims notifications: the notify queue of ClaimJobs.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]store.OutboxItem, error) {
	return s.ClaimJobs(ctx, store.QueueNotify, owner, limit, lease)
}

func (s *Store) CompleteOutbox(ctx context.Context, id int64, owner string) error {
	return s.finishOutbox(ctx, `UPDATE outbox SET done_at = ?, claimed_by = '', lease_until = 0
		WHERE id = ? AND claimed_by = ? AND done_at = 0`, ns(s.now()), id, owner)
}

func (s *Store) RetryOutbox(ctx context.Context, id int64, owner string, notBefore time.Time, lastErr string, giveUp bool) error {
	done, failed := int64(0), 0
	if giveUp {
		done, failed = ns(s.now()), 1
	}
	return s.finishOutbox(ctx, `UPDATE outbox SET claimed_by = '', lease_until = 0, not_before = ?, last_error = ?,
		done_at = ?, failed = ? WHERE id = ? AND claimed_by = ? AND done_at = 0`,
		ns(notBefore), lastErr, done, failed, id, owner)
}

func (s *Store) finishOutbox(ctx context.Context, q string, args ...any) error {
	return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.(*txn).p().exec(ctx, q, args...)
		if err != nil {
			return unavailable("outbox", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return unavailable("outbox", err)
		}
		if n == 0 {
			return store.ErrLeaseLost
		}
		return nil
	})
}
