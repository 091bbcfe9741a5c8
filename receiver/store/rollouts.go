package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrRolloutFinal is returned for a request on a rollout that has ended.
var ErrRolloutFinal = errors.New("rollout has ended")

// Rollouts keeps `golive rollout` plans while the receiver runs them: the
// rollout row (its state, its current step, and the lease of the replica
// driving it) and an append-only log of what happened (every traffic change
// with the state before and after, every gate decision id).
//
// Concurrency: safe for concurrent use. One replica drives a rollout at a
// time: ClaimRollout hands it to one owner until the lease expires, and
// AdvanceRollout writes only while the caller still holds the lease, so a
// replica that lost it (paused past its lease, partitioned) cannot record
// over the one that took over.
type Rollouts interface {
	// CreateRollout inserts r (state, plan, before-state set by the caller)
	// and sets r.ID.
	CreateRollout(ctx context.Context, r *Rollout) error
	// Rollout returns one rollout; ErrNotFound if there is none.
	Rollout(ctx context.Context, id int64) (Rollout, error)
	// ListRollouts returns up to limit rollouts, newest first (0: 100);
	// activeOnly keeps those not yet in a final state.
	ListRollouts(ctx context.Context, limit int, activeOnly bool) ([]Rollout, error)
	// RolloutEvents returns a rollout's log, oldest first.
	RolloutEvents(ctx context.Context, id int64) ([]RolloutEvent, error)
	// ClaimRollout gives the rollout to owner until now+lease when it is
	// not final and its lease is free, expired or owner's already (a
	// renewal). ErrLeaseLost when another owner holds it or it is final.
	ClaimRollout(ctx context.Context, id int64, owner string, lease time.Duration) error
	// AdvanceRollout writes r's mutable fields (State, Step, StepPhase,
	// StepStartedAt, Reason, HoldResumedStep, Request when consumed, Applied,
	// EndedAt), appends events and enqueues notifications, in one
	// transaction, if owner still holds the lease; ErrLeaseLost otherwise.
	// Request is written only when clearRequest is set, so an operator's
	// request that arrived meanwhile is not lost.
	AdvanceRollout(ctx context.Context, r *Rollout, owner string, clearRequest bool, events []RolloutEvent, notify []OutboxItem) error
	// RequestRollout records an operator's pause, resume or abort for the
	// runner to act on, with an event. ErrNotFound for an unknown id;
	// ErrConflict when the rollout is final.
	RequestRollout(ctx context.Context, id int64, request, actor string) error
}

// RolloutState is where a rollout is; the last three are final.
type RolloutState string

// Rollout states.
const (
	RolloutRunning     RolloutState = "running"
	RolloutPaused      RolloutState = "paused"
	RolloutRollingBack RolloutState = "rolling_back"
	RolloutSucceeded   RolloutState = "succeeded"
	RolloutRolledBack  RolloutState = "rolled_back"
	// RolloutFailed: the rollback itself failed; a P1 incident says so.
	RolloutFailed RolloutState = "failed"
)

// RolloutStates lists every state (metrics export one series each).
var RolloutStates = []RolloutState{RolloutRunning, RolloutPaused, RolloutRollingBack, RolloutSucceeded, RolloutRolledBack, RolloutFailed}

// Final reports whether nothing more happens to a rollout in s.
func (s RolloutState) Final() bool {
	return s == RolloutSucceeded || s == RolloutRolledBack || s == RolloutFailed
}

// Rollout is one submitted plan and where it is.
type Rollout struct {
	ID    int64        `json:"id"`
	Name  string       `json:"name"` // the plan's name
	Gate  string       `json:"gate"`
	State RolloutState `json:"state"`
	// Source is the plan as submitted; Plan the validated plan as JSON.
	Source []byte `json:"-"`
	Plan   []byte `json:"-"`
	// Step is the index of the stage or batch in progress (-1: none yet).
	Step int `json:"step"`
	// StepPhase is "applying" (recorded before the traffic change) or
	// "observing" (the change is recorded; the window runs from
	// StepStartedAt).
	StepPhase     string    `json:"step_phase,omitempty"`
	StepStartedAt time.Time `json:"step_started_at,omitzero"`
	// HoldResumedStep is the step an operator resumed after a hold: holds
	// in that step no longer pause it (a hold pauses once).
	HoldResumedStep int    `json:"-"`
	Reason          string `json:"reason,omitempty"`
	// Request is an operator's pending pause, resume or abort.
	Request string `json:"request,omitempty"`
	// Before is the driver's state before the rollout (what a rollback
	// re-applies); Applied the state the last change left.
	Before     []byte    `json:"-"`
	Applied    []byte    `json:"-"`
	LeaseOwner string    `json:"-"`
	LeaseUntil time.Time `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
}

// RolloutEvent is one entry of a rollout's log.
type RolloutEvent struct {
	ID        int64     `json:"id"`
	RolloutID int64     `json:"rollout_id"`
	At        time.Time `json:"at"`
	// Kind: created, stage_applying, traffic_change, decision, paused,
	// resumed, requested, rollback_started, rolled_back, rollback_failed,
	// succeeded.
	Kind string `json:"kind"`
	Step int    `json:"step"`
	// DecisionID and Decision for a gate decision.
	DecisionID int64  `json:"decision_id,omitempty"`
	Decision   string `json:"decision,omitempty"`
	// Before and After are driver states (JSON) of a traffic change.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	Note   string          `json:"note,omitempty"`
	Actor  string          `json:"actor,omitempty"`
}
