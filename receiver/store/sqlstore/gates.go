package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/golive-ops/golive/receiver/store"
)

func (s *Store) FiringOccurrences(ctx context.Context, limit int) ([]store.Occurrence, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.read().query(ctx, `SELECT `+occurrenceCols+` FROM occurrences WHERE ends_at = 0 ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, unavailable("firing occurrences", err)
	}
	return collectOccurrences(rows)
}

func (s *Store) InsertGateDecision(ctx context.Context, d *store.GateDecision) error {
	err := s.w.QueryRowContext(ctx, s.d.rebind(`INSERT INTO gate_decisions (gate, decision, evaluated_at, body)
		VALUES (?, ?, ?, ?) RETURNING id`), d.Gate, d.Decision, ns(d.EvaluatedAt), d.Body).Scan(&d.ID)
	if err != nil {
		return unavailable("insert gate decision", err)
	}
	return nil
}

const gateDecisionCols = `id, gate, decision, evaluated_at, body`

func (s *Store) GateDecision(ctx context.Context, id int64) (store.GateDecision, error) {
	return s.oneGateDecision(ctx, fmt.Sprintf("gate decision %d", id),
		`SELECT `+gateDecisionCols+` FROM gate_decisions WHERE id = ?`, id)
}

func (s *Store) LatestGateDecision(ctx context.Context, gate string) (store.GateDecision, error) {
	return s.oneGateDecision(ctx, "latest gate decision",
		`SELECT `+gateDecisionCols+` FROM gate_decisions WHERE gate = ? ORDER BY id DESC LIMIT 1`, gate)
}

func (s *Store) oneGateDecision(ctx context.Context, op, q string, arg any) (store.GateDecision, error) {
	var (
		d  store.GateDecision
		at int64
	)
	err := s.r.QueryRowContext(ctx, s.d.rebind(q), arg).Scan(&d.ID, &d.Gate, &d.Decision, &at, &d.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return d, unavailable(op, err)
	}
	d.EvaluatedAt = fromNS(at)
	return d, nil
}
