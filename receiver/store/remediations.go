package store

import (
	"context"
	"encoding/json"
	"time"
)

// RemediationState is where one planned remediation is.
type RemediationState string

// Remediation states. Planned and approved rows have a job in
// QueueRemediate; running means an attempt was recorded as started and has
// not reported back (after a crash: unknown, for a non-idempotent action).
const (
	RemediationAwaitingApproval RemediationState = "awaiting_approval"
	RemediationPlanned          RemediationState = "planned"
	RemediationRunning          RemediationState = "running"
	RemediationSucceeded        RemediationState = "succeeded"
	RemediationFailed           RemediationState = "failed"
	RemediationUnknown          RemediationState = "unknown"
	RemediationDryRun           RemediationState = "dry_run"
	RemediationRefused          RemediationState = "refused"
	RemediationRejected         RemediationState = "rejected"
	RemediationExpired          RemediationState = "expired"
	RemediationSkipped          RemediationState = "skipped"
)

// Final reports whether nothing more will happen to a remediation in s.
func (s RemediationState) Final() bool {
	switch s {
	case RemediationAwaitingApproval, RemediationPlanned, RemediationRunning:
		return false
	}
	return true
}

// Remediation is one planned action for one incident change.
type Remediation struct {
	ID         int64  `json:"id"`
	Key        string `json:"key"` // unique: one plan per change and action
	IncidentID int64  `json:"incidentId"`
	Cycle      int    `json:"cycle"`
	Action     string `json:"action"` // the policy's action name
	Kind       string `json:"kind"`   // exec, http, ...
	Target     string `json:"target"` // what budgets per target count
	// Trigger is the incident change that planned it (opened, escalated,
	// reopened) or "approval".
	Trigger    string           `json:"trigger"`
	State      RemediationState `json:"state"`
	DryRun     bool             `json:"dryRun"`
	Idempotent bool             `json:"idempotent"`
	// Request is what runs (argv, HTTP request), secrets redacted; Result
	// what happened (exit or HTTP status, duration, bounded output).
	Request  json.RawMessage `json:"request"`
	Result   json.RawMessage `json:"result,omitempty"`
	Reason   string          `json:"reason,omitempty"` // why refused, skipped, failed
	Attempts int             `json:"attempts"`

	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	ExpiresAt    time.Time `json:"expiresAt,omitzero"` // an approval request lapses then
	StartedAt    time.Time `json:"startedAt,omitzero"`
	FinishedAt   time.Time `json:"finishedAt,omitzero"`
	DecidedBy    string    `json:"decidedBy,omitempty"` // who approved or rejected
	DecisionNote string    `json:"decisionNote,omitempty"`
}

// RemediationFilter selects remediations; zero fields do not filter.
type RemediationFilter struct {
	State      RemediationState
	IncidentID int64
	// ExpiredBefore selects awaiting_approval rows whose ExpiresAt is at or
	// before it.
	ExpiredBefore time.Time
	Limit         int // newest first; 0 means 500
}

// RemediationCount selects rows a budget counts: same action (""
// any), and the same incident cycle or the same target, created at or
// after Since. Skipped, refused, rejected and expired rows never count:
// nothing ran.
type RemediationCount struct {
	Action     string
	IncidentID int64 // with Cycle; 0: any incident
	Cycle      int
	Target     string // "": any target
	Since      time.Time
	// Executed counts only rows that ran, run or will run (not dry runs,
	// not requests still awaiting approval).
	Executed bool
}

// RemediationControl is the global kill switch.
type RemediationControl struct {
	Paused bool      `json:"paused"`
	Actor  string    `json:"actor,omitempty"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// Remediations are the reads of remediation rows. Safe concurrently.
type Remediations interface {
	Remediation(ctx context.Context, id int64) (Remediation, error)
	ListRemediations(ctx context.Context, f RemediationFilter) ([]Remediation, error)
	// Control reads the kill switch; AwaitingApproval counts open requests
	// (both are read at scrape time for metrics).
	Control(ctx context.Context) (RemediationControl, error)
	AwaitingApproval(ctx context.Context) (int, error)
}

// RemediationTx is the remediation part of one transaction.
type RemediationTx interface {
	// InsertRemediation adds r once per Key and sets r.ID; inserted is false
	// (and r untouched) when the key exists: a replica or a replay planned
	// it already.
	InsertRemediation(ctx context.Context, r *Remediation) (inserted bool, err error)
	// RemediationForUpdate reads and locks one row.
	RemediationForUpdate(ctx context.Context, id int64) (Remediation, error)
	// UpdateRemediation writes every mutable field of r.
	UpdateRemediation(ctx context.Context, r Remediation) error
	// CountRemediations counts rows for a budget or cooldown.
	CountRemediations(ctx context.Context, c RemediationCount) (int, error)
	// LockControl reads the kill switch and locks it until the end of the
	// transaction, which serialises remediation planning across replicas
	// so budgets and the rate limit cannot be overrun by a race. Lock
	// order: a remediation row, then incident rows, then this row last.
	LockControl(ctx context.Context) (RemediationControl, error)
	// SetControl writes the kill switch.
	SetControl(ctx context.Context, c RemediationControl) error
}
