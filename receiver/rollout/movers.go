package rollout

import (
	"context"
	"encoding/json"
	"fmt"

	plans "github.com/golive-ops/golive/internal/rollout"
	"github.com/golive-ops/golive/receiver/store"
)

// mover makes a step happen on the outside: a traffic split, or a batch of
// users routed.
type mover interface {
	// apply moves the step and returns the state in force after it.
	apply(ctx context.Context, ro *store.Rollout, s plans.Step) ([]byte, error)
	// restore undoes what a rollback undoes and returns the state after.
	restore(ctx context.Context, ro *store.Rollout) ([]byte, error)
	describe(s plans.Step) string
	rollbackNote(ro *store.Rollout) string
}

// trafficMover applies stages through a TrafficDriver; a rollback puts the
// split recorded before the rollout back.
type trafficMover struct{ d plans.TrafficDriver }

func (m trafficMover) apply(ctx context.Context, _ *store.Rollout, s plans.Step) ([]byte, error) {
	return m.d.Apply(ctx, s.Percent)
}

func (m trafficMover) restore(ctx context.Context, ro *store.Rollout) ([]byte, error) {
	return ro.Before, m.d.Restore(ctx, plans.State(ro.Before))
}

func (m trafficMover) describe(s plans.Step) string { return m.d.Describe(s.Percent) }

func (trafficMover) rollbackNote(*store.Rollout) string {
	return "the split recorded before the rollout"
}

// UserRouter is what a user-batch plan needs (rollout.UserRouter).
type UserRouter interface {
	Select(ctx context.Context, batch string) ([]string, error)
	Route(ctx context.Context, batch string, users []string, target string) (plans.Request, error)
}

// batchMover moves one batch of users per step (R2.2). Its state is the
// list of batches routed, each with its users. The users of a batch are
// recorded before they are routed, so a rollback after a crash routes back
// exactly them. A failed batch stops the plan and is routed back; batches
// that passed their windows stay on the candidate.
type batchMover struct {
	x      *execution
	router UserRouter
}

func batches(b []byte) ([]plans.BatchState, error) {
	var out []plans.BatchState
	if len(b) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("recorded batches: %w", err)
	}
	return out, nil
}

func (m *batchMover) apply(ctx context.Context, ro *store.Rollout, s plans.Step) ([]byte, error) {
	state, err := batches(ro.Applied)
	if err != nil {
		return nil, err
	}
	var users []string
	if n := len(state); n > 0 && state[n-1].Batch == s.Batch {
		users = state[n-1].Users // selected and recorded before a crash
	} else {
		if users, err = m.router.Select(ctx, s.Batch); err != nil {
			return nil, err
		}
		state = append(state, plans.BatchState{Batch: s.Batch, Users: users})
		b, err := json.Marshal(state)
		if err != nil {
			return nil, err
		}
		ro.Applied = b
		if err := m.x.save(ctx, ro, false, nil, store.RolloutEvent{At: m.x.now(), Kind: "batch_selected", Step: ro.Step,
			Note: fmt.Sprintf("%s: %d users", s.Batch, len(users))}); err != nil {
			return nil, err
		}
	}
	if _, err := m.router.Route(ctx, s.Batch, users, plans.TargetCandidate); err != nil {
		return nil, err
	}
	return json.Marshal(state)
}

func (m *batchMover) restore(ctx context.Context, ro *store.Rollout) ([]byte, error) {
	state, err := batches(ro.Applied)
	if err != nil {
		return nil, err
	}
	if ro.Step < 0 || ro.Step >= len(m.x.steps) {
		return ro.Applied, nil
	}
	batch := m.x.steps[ro.Step].Batch
	if n := len(state); n > 0 && state[n-1].Batch == batch {
		if _, err := m.router.Route(ctx, batch, state[n-1].Users, plans.TargetCurrent); err != nil {
			return nil, err
		}
		state = state[:n-1]
	}
	return json.Marshal(state)
}

func (m *batchMover) describe(s plans.Step) string {
	return fmt.Sprintf("select the users of batch %s and route them to the candidate", s.Batch)
}

func (m *batchMover) rollbackNote(ro *store.Rollout) string {
	if ro.Step >= 0 && ro.Step < len(m.x.steps) {
		return fmt.Sprintf("batch %s routed back to the current system (batches that passed stay)", m.x.steps[ro.Step].Batch)
	}
	return "no batch to route back"
}
