package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

const rolloutCols = `id, name, gate, state, source, plan, step, step_phase, step_started_at, hold_resumed_step,
	reason, request, before_state, applied_state, lease_owner, lease_until, created_at, updated_at, ended_at`

func scanRollout(sc interface{ Scan(...any) error }) (store.Rollout, error) {
	var (
		r                                   store.Rollout
		started, lease, created, upd, ended int64
		state                               string
	)
	err := sc.Scan(&r.ID, &r.Name, &r.Gate, &state, &r.Source, &r.Plan, &r.Step, &r.StepPhase, &started,
		&r.HoldResumedStep, &r.Reason, &r.Request, &r.Before, &r.Applied, &r.LeaseOwner, &lease, &created, &upd, &ended)
	r.State = store.RolloutState(state)
	r.StepStartedAt, r.LeaseUntil, r.CreatedAt, r.UpdatedAt, r.EndedAt = fromNS(started), fromNS(lease), fromNS(created), fromNS(upd), fromNS(ended)
	return r, err
}

func (s *Store) CreateRollout(ctx context.Context, r *store.Rollout) error {
	now := s.now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	r.UpdatedAt = r.CreatedAt
	return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		t := tx.(*txn)
		rows, err := t.p().query(ctx, `INSERT INTO rollouts (name, gate, state, source, plan, step, step_phase, step_started_at,
			hold_resumed_step, reason, request, before_state, applied_state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.Name, r.Gate, string(r.State), r.Source, r.Plan, r.Step, r.StepPhase, ns(r.StepStartedAt), r.HoldResumedStep,
			r.Reason, r.Request, r.Before, r.Applied, ns(r.CreatedAt), ns(r.UpdatedAt))
		if err != nil {
			return unavailable("insert rollout", err)
		}
		defer rows.Close()
		if !rows.Next() {
			return unavailable("insert rollout", errors.Join(rows.Err(), errors.New("no id returned")))
		}
		if err := rows.Scan(&r.ID); err != nil {
			return unavailable("insert rollout", err)
		}
		if err := rows.Close(); err != nil {
			return unavailable("insert rollout", err)
		}
		return t.appendRolloutEvents(ctx, r.ID, []store.RolloutEvent{{At: r.CreatedAt, Kind: "created", Step: -1, Before: r.Before}})
	})
}

func (t *txn) appendRolloutEvents(ctx context.Context, id int64, evs []store.RolloutEvent) error {
	for _, e := range evs {
		var before, after []byte
		if len(e.Before) > 0 {
			before = e.Before
		}
		if len(e.After) > 0 {
			after = e.After
		}
		if _, err := t.p().exec(ctx, `INSERT INTO rollout_events (rollout_id, at, kind, step, decision_id, decision,
			before_state, after_state, note, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, ns(e.At), e.Kind, e.Step, e.DecisionID, e.Decision, before, after, e.Note, e.Actor); err != nil {
			return unavailable("insert rollout event", err)
		}
	}
	return nil
}

func (s *Store) Rollout(ctx context.Context, id int64) (store.Rollout, error) {
	r, err := scanRollout(s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+rolloutCols+` FROM rollouts WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("rollout %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return r, unavailable("rollout", err)
	}
	return r, nil
}

func (s *Store) ListRollouts(ctx context.Context, limit int, activeOnly bool) ([]store.Rollout, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + rolloutCols + ` FROM rollouts ORDER BY id DESC LIMIT ?`
	if activeOnly {
		q = `SELECT ` + rolloutCols + ` FROM rollouts WHERE ended_at = 0 ORDER BY id DESC LIMIT ?`
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(q), limit)
	if err != nil {
		return nil, unavailable("list rollouts", err)
	}
	defer rows.Close()
	var out []store.Rollout
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			return nil, unavailable("list rollouts", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("list rollouts", err)
	}
	return out, nil
}

func (s *Store) RolloutEvents(ctx context.Context, id int64) ([]store.RolloutEvent, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT id, rollout_id, at, kind, step, decision_id, decision,
		before_state, after_state, note, actor FROM rollout_events WHERE rollout_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, unavailable("rollout events", err)
	}
	defer rows.Close()
	var out []store.RolloutEvent
	for rows.Next() {
		var (
			e  store.RolloutEvent
			at int64
		)
		var before, after []byte
		if err := rows.Scan(&e.ID, &e.RolloutID, &at, &e.Kind, &e.Step, &e.DecisionID, &e.Decision, &before, &after, &e.Note, &e.Actor); err != nil {
			return nil, unavailable("rollout events", err)
		}
		e.At, e.Before, e.After = fromNS(at), before, after
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("rollout events", err)
	}
	return out, nil
}

func (s *Store) ClaimRollout(ctx context.Context, id int64, owner string, lease time.Duration) error {
	now := s.now()
	// One conditional UPDATE is the compare-and-set on both databases: the
	// row lock (PostgreSQL) or the single writer (SQLite) makes it atomic.
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE rollouts SET lease_owner = ?, lease_until = ?
		WHERE id = ? AND ended_at = 0 AND (lease_owner = ? OR lease_owner = '' OR lease_until < ?)`),
		owner, ns(now.Add(lease)), id, owner, ns(now))
	if err != nil {
		return unavailable("claim rollout", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return unavailable("claim rollout", err)
	}
	if n == 0 {
		return fmt.Errorf("rollout %d: %w", id, store.ErrLeaseLost)
	}
	return nil
}

func (s *Store) AdvanceRollout(ctx context.Context, r *store.Rollout, owner string, clearRequest bool, events []store.RolloutEvent, notify []store.OutboxItem) error {
	now := s.now()
	r.UpdatedAt = now
	if r.State.Final() && r.EndedAt.IsZero() {
		r.EndedAt = now
	}
	return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		t := tx.(*txn)
		q := `UPDATE rollouts SET state = ?, step = ?, step_phase = ?, step_started_at = ?, hold_resumed_step = ?,
			reason = ?, applied_state = ?, updated_at = ?, ended_at = ?`
		args := []any{string(r.State), r.Step, r.StepPhase, ns(r.StepStartedAt), r.HoldResumedStep, r.Reason, r.Applied,
			ns(r.UpdatedAt), ns(r.EndedAt)}
		if clearRequest {
			q += `, request = ''`
		}
		if r.State.Final() {
			q += `, lease_owner = '', lease_until = 0`
		}
		q += ` WHERE id = ? AND lease_owner = ? AND lease_until >= ? AND ended_at = 0`
		args = append(args, r.ID, owner, ns(now))
		res, err := t.p().exec(ctx, q, args...)
		if err != nil {
			return unavailable("advance rollout", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return unavailable("advance rollout", err)
		} else if n == 0 {
			return fmt.Errorf("rollout %d: %w", r.ID, store.ErrLeaseLost)
		}
		if err := t.appendRolloutEvents(ctx, r.ID, events); err != nil {
			return err
		}
		if len(notify) > 0 {
			if _, err := t.Enqueue(ctx, notify); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) RequestRollout(ctx context.Context, id int64, request, actor string) error {
	now := s.now()
	return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		t := tx.(*txn)
		res, err := t.p().exec(ctx, `UPDATE rollouts SET request = ?, updated_at = ? WHERE id = ? AND ended_at = 0`, request, ns(now), id)
		if err != nil {
			return unavailable("request rollout", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return unavailable("request rollout", err)
		} else if n == 0 {
			var one int
			err := t.tx.QueryRowContext(ctx, s.d.rebind(`SELECT 1 FROM rollouts WHERE id = ?`), id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("rollout %d: %w", id, store.ErrNotFound)
			}
			if err != nil {
				return unavailable("request rollout", err)
			}
			return fmt.Errorf("rollout %d: %w", id, store.ErrRolloutFinal)
		}
		return t.appendRolloutEvents(ctx, id, []store.RolloutEvent{{At: now, Kind: "requested", Step: -1, Note: request, Actor: actor}})
	})
}
