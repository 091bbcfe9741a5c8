package incident

import (
	"context"

	"github.com/golive-ops/golive/receiver/store"
)

// Stage runs after grading, inside the transaction that made the changes,
// like one of Alertmanager's notification stages: it turns incident
// changes into durable work (outbox items, remediation rows) with the
// transaction, so the work exists exactly when its change commits. A
// stage must not do network I/O; the job worker does. Replays, HA peers'
// copies and repeat notifications of known occurrences make no change, so
// they never reach a stage; a stage is called only when changes is not
// empty.
type Stage interface {
	Run(ctx context.Context, tx store.Tx, changes []Change) error
}

// StageFunc adapts a function to Stage.
type StageFunc func(ctx context.Context, tx store.Tx, changes []Change) error

// Run calls f.
func (f StageFunc) Run(ctx context.Context, tx store.Tx, changes []Change) error {
	return f(ctx, tx, changes)
}

// Stages run in order (Alertmanager's MultiStage); the first error rolls
// the whole transaction back, so no stage's work commits without the
// others'.
type Stages []Stage

// Run implements Stage.
func (s Stages) Run(ctx context.Context, tx store.Tx, changes []Change) error {
	for _, st := range s {
		if err := st.Run(ctx, tx, changes); err != nil {
			return err
		}
	}
	return nil
}
