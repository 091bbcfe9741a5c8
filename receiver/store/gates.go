package store

import (
	"context"
	"time"
)

// Gates is what rollout gates keep and read: every decision with its
// inputs, and the firing alerts a gate's matchers select from.
//
// Concurrency: safe for concurrent use, like every Store method. Decisions
// are append-only; an id is never reused.
type Gates interface {
	// FiringOccurrences returns up to limit occurrences that have not
	// ended, newest first (0: 1000).
	FiringOccurrences(ctx context.Context, limit int) ([]Occurrence, error)
	// InsertGateDecision stores d and sets d.ID.
	InsertGateDecision(ctx context.Context, d *GateDecision) error
	// GateDecision returns one decision; ErrNotFound if there is none.
	GateDecision(ctx context.Context, id int64) (GateDecision, error)
	// LatestGateDecision returns a gate's newest decision; ErrNotFound if
	// the gate has none.
	LatestGateDecision(ctx context.Context, gate string) (GateDecision, error)
}

// GateDecision is one stored gate evaluation. Body is the whole decision
// as JSON (checks with query, value and threshold, matching alerts and
// incidents, reasons): the store does not interpret it.
type GateDecision struct {
	ID          int64
	Gate        string
	Decision    string // proceed, hold, rollback
	EvaluatedAt time.Time
	Body        []byte
}
