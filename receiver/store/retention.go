package store

import (
	"context"
	"time"
)

// Retention deletes old rows in small batches (package retention drives
// it). Each call is one short transaction deleting at most limit rows and
// returns how many it deleted, so a caller loops until fewer than limit
// come back. Safe concurrently and across replicas: two replicas deleting
// the same rows delete each once.
type Retention interface {
	// PruneWebhooks deletes raw payloads received before t. Their
	// occurrences and incidents stay; a replay of a deleted payload is
	// stored again and changes nothing else.
	PruneWebhooks(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneOccurrences deletes occurrences that ended before t and whose
	// incident is no longer open (resolved or closed).
	PruneOccurrences(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneIncidents deletes incidents closed before t with everything that
	// belongs to them: occurrences, outbox items and the timeline (the only
	// way a timeline event is ever deleted).
	PruneIncidents(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneGateDecisions deletes gate decisions evaluated before t, except
	// each gate's newest one (breach streaks continue from it).
	PruneGateDecisions(ctx context.Context, before time.Time, limit int) (int, error)
}
