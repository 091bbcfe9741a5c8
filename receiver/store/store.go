// Package store is the receiver's durable state: raw webhooks, alert
// occurrences, incidents with their append-only timeline, and the
// notification outbox.
//
// One interface, two implementations (package sqlstore with the sqlite and
// postgres dialects). Everything a webhook changes is written in one
// transaction (Store.Update), so a reply of 200 means all of it is on disk
// and a crash can never leave half of it.
//
// Concurrency: every method of Store is safe for concurrent use by many
// goroutines and, on PostgreSQL, by many receiver replicas. A Tx belongs to
// the one goroutine running the Update callback and must not escape it.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them; test with errors.Is.
var (
	// ErrNotFound: no row with that id or key.
	ErrNotFound = errors.New("not found")
	// ErrLeaseLost: an outbox item is no longer claimed by the caller (its
	// lease expired and another worker claimed it, or it is done).
	ErrLeaseLost = errors.New("outbox lease lost")
	// ErrUnavailable wraps every failure to reach or use the database, so
	// callers can answer 503 and let Alertmanager retry.
	ErrUnavailable = errors.New("storage unavailable")
)

// Store is the receiver's storage.
type Store interface {
	// Update runs fn in one read-write transaction and commits it durably
	// when fn returns nil; any error rolls everything back. Safe
	// concurrently: SQLite serialises writers in the process, PostgreSQL
	// relies on row locks and Tx.LockGroups. fn may be called again only if
	// the implementation documents a retry; these do not retry.
	Update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	// Reads. Safe concurrently with each other and with Update; they see
	// committed data only.
	Incident(ctx context.Context, id int64) (Incident, error)
	ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
	Timeline(ctx context.Context, incidentID int64) ([]Event, error)
	Occurrences(ctx context.Context, incidentID int64) ([]Occurrence, error)
	// Occurrence finds one occurrence by its key (fingerprint, startsAt).
	Occurrence(ctx context.Context, fingerprint string, startsAt time.Time) (Occurrence, error)
	// Stats is what the metrics collector reads at scrape time.
	Stats(ctx context.Context) (Stats, error)
	// Outbox lists an incident's outbox items, oldest first (0: all).
	Outbox(ctx context.Context, incidentID int64) ([]OutboxItem, error)

	// Outbox work queue, for the notification worker. Safe concurrently
	// across goroutines and replicas: ClaimOutbox hands an item to at most
	// one caller until its lease expires (PostgreSQL: FOR UPDATE SKIP
	// LOCKED; SQLite: one writer transaction).
	//
	// ClaimOutbox claims up to limit items that are due (NotBefore <= now,
	// not done, not under another live lease) for owner until now+lease,
	// increments their Attempts, and returns them oldest first.
	ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]OutboxItem, error)
	// CompleteOutbox marks a claimed item delivered. ErrLeaseLost if owner
	// no longer holds it.
	CompleteOutbox(ctx context.Context, id int64, owner string) error
	// RetryOutbox releases a claimed item for another attempt at notBefore,
	// recording lastErr (which must not contain secrets). With giveUp the
	// item is marked done and failed instead. ErrLeaseLost as above.
	RetryOutbox(ctx context.Context, id int64, owner string, notBefore time.Time, lastErr string, giveUp bool) error

	// Jobs and Remediations are in jobs.go and remediations.go.
	Jobs
	Remediations
	// Gates keeps rollout gate decisions (gates.go).
	Gates
	// Rollouts keeps the plans the receiver runs (rollouts.go).
	Rollouts
	// Readiness keeps go-live sign-offs, reports and channel tests
	// (readiness.go).
	Readiness

	// Ping checks the database answers.
	Ping(ctx context.Context) error
	Close() error

	Health
	Retention
}

// GroupLockSlots bounds the group locks one transaction takes.
const GroupLockSlots = 64

// Tx is one read-write transaction. Methods run in the order called; the
// caller takes locks in a fixed order (occurrence keys sorted, then group
// locks sorted, then incident rows) so concurrent replicas cannot deadlock.
type Tx interface {
	// InsertWebhook stores a raw payload once per content hash. It sets
	// w.ID; duplicate reports that an identical payload was stored before
	// (w.ID is then the earlier row's id).
	InsertWebhook(ctx context.Context, w *Webhook) (duplicate bool, err error)

	// UpsertOccurrences records alert occurrences keyed by (Fingerprint,
	// StartsAt). A new key is inserted; an existing firing occurrence whose
	// input has ended gets EndsAt set; everything else is a no-op (replays,
	// HA peers, a late firing after its resolve). It returns only what
	// changed, in input order. Callers pass keys sorted and unique.
	UpsertOccurrences(ctx context.Context, webhookID int64, occs []Occurrence) ([]OccurrenceChange, error)

	// LockGroups serialises work on these incident group keys until the end
	// of the transaction; call it once per transaction, before reading the
	// groups' incidents. PostgreSQL hashes the keys into GroupLockSlots
	// advisory locks taken in ascending order, so a webhook with 20,000
	// groups holds at most that many locks (max_locks_per_transaction is
	// shared by the whole server) and overlapping transactions cannot
	// deadlock; two groups sharing a slot only wait for each other. SQLite
	// needs none.
	LockGroups(ctx context.Context, groupKeys []string) error

	// LatestIncident returns the newest incident of a group that is not
	// closed, locked for update; found is false if there is none.
	LatestIncident(ctx context.Context, groupKey string) (inc Incident, found bool, err error)
	// IncidentForUpdate reads and locks one incident.
	IncidentForUpdate(ctx context.Context, id int64) (Incident, error)
	// CreateIncident inserts inc and sets inc.ID.
	CreateIncident(ctx context.Context, inc *Incident) error
	// UpdateIncident writes every mutable field of inc.
	UpdateIncident(ctx context.Context, inc Incident) error

	// AttachOccurrences links occurrences to an incident.
	AttachOccurrences(ctx context.Context, incidentID int64, occurrenceIDs []int64) error
	// CountFiring counts the incident's occurrences that have not ended.
	CountFiring(ctx context.Context, incidentID int64) (int, error)

	// AppendEvents adds timeline events (IDs are assigned by the database
	// and not written back); the timeline is never updated or deleted,
	// which triggers enforce.
	AppendEvents(ctx context.Context, evs []Event) error

	// Enqueue adds outbox items; an item whose Key already exists is
	// skipped, so replicas and replays never enqueue twice. It returns how
	// many were new.
	Enqueue(ctx context.Context, items []OutboxItem) (int, error)

	// DueBreaches returns up to limit open incidents whose response or
	// resolution deadline is at or before now and not yet marked breached,
	// locked for update (skipping rows another replica holds).
	DueBreaches(ctx context.Context, now time.Time, limit int) ([]Incident, error)

	// RemediationTx is in remediations.go.
	RemediationTx
}

// Webhook is one raw Alertmanager payload as received.
type Webhook struct {
	ID         int64
	Hash       string // hex SHA-256 of Body
	ReceivedAt time.Time
	Receiver   string
	GroupKey   string
	Status     string
	Reason     string // notification_reason
	Alerts     int
	Body       []byte
}

// Occurrence is one firing of one alert: Alertmanager's fingerprint plus
// the time it started. The same alert firing again later is a new one.
type Occurrence struct {
	ID           int64             `json:"id"`
	Fingerprint  string            `json:"fingerprint"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt,omitzero"` // zero while firing
	AlertName    string            `json:"alertname"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	IncidentID   int64             `json:"incidentId,omitempty"`
	WebhookID    int64             `json:"webhookId"`
	ReceivedAt   time.Time         `json:"receivedAt"`
}

// Firing reports whether the occurrence has not ended.
func (o Occurrence) Firing() bool { return o.EndsAt.IsZero() }

// OccurrenceChange is one row UpsertOccurrences changed.
type OccurrenceChange struct {
	Occurrence
	// Inserted: the key was new. Otherwise an existing firing occurrence
	// was resolved.
	Inserted bool
}

// Priority is an incident grade, P0 (most urgent) to P3.
type Priority string

// The grades of runbook R5.1.
const (
	P0 Priority = "P0"
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
)

// Priorities lists every grade, most urgent first.
var Priorities = []Priority{P0, P1, P2, P3}

// Rank is 0 for P0 up to 3 for P3, -1 if p is not a grade.
func (p Priority) Rank() int {
	for i, q := range Priorities {
		if p == q {
			return i
		}
	}
	return -1
}

// Valid reports whether p is P0..P3.
func (p Priority) Valid() bool { return p.Rank() >= 0 }

// Higher reports whether p is more urgent than q.
func (p Priority) Higher(q Priority) bool { return p.Rank() < q.Rank() }

// State is where an incident is in its lifecycle.
type State string

// Lifecycle states of runbook R5.3.
const (
	StateNew          State = "new"
	StateAcknowledged State = "acknowledged"
	StateInProgress   State = "in_progress"
	StateResolved     State = "resolved"
	StateClosed       State = "closed"
)

// States lists every state in lifecycle order.
var States = []State{StateNew, StateAcknowledged, StateInProgress, StateResolved, StateClosed}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, t := range States {
		if s == t {
			return true
		}
	}
	return false
}

// Open reports whether the incident still needs work.
func (s State) Open() bool {
	return s == StateNew || s == StateAcknowledged || s == StateInProgress
}

// GradeReason records why an incident has its priority.
type GradeReason struct {
	Rule        string            `json:"rule"`              // rule name, or "default"
	Fingerprint string            `json:"fingerprint"`       // the occurrence that set it
	Matched     map[string]string `json:"matched,omitempty"` // label/annotation values the rule read
	Value       *float64          `json:"value,omitempty"`   // the numeric value compared, if any
}

// Incident groups occurrences that share a group key.
type Incident struct {
	ID                   int64             `json:"id"`
	GroupKey             string            `json:"groupKey"`
	Title                string            `json:"title"`
	Service              string            `json:"service,omitempty"`
	Labels               map[string]string `json:"labels"` // the group labels
	State                State             `json:"state"`
	Priority             Priority          `json:"priority"`
	GradeReason          GradeReason       `json:"gradeReason"`
	Assignee             string            `json:"assignee,omitempty"`
	Cycle                int               `json:"cycle"` // 1, +1 on every reopen
	OpenedAt             time.Time         `json:"openedAt"`
	UpdatedAt            time.Time         `json:"updatedAt"`
	AcknowledgedAt       time.Time         `json:"acknowledgedAt,omitzero"`
	ResolvedAt           time.Time         `json:"resolvedAt,omitzero"`
	ClosedAt             time.Time         `json:"closedAt,omitzero"`
	ResponseDue          time.Time         `json:"responseDue,omitzero"`
	ResolutionDue        time.Time         `json:"resolutionDue,omitzero"`
	ResponseBreachedAt   time.Time         `json:"responseBreachedAt,omitzero"`
	ResolutionBreachedAt time.Time         `json:"resolutionBreachedAt,omitzero"`
}

// IncidentFilter selects incidents; zero fields do not filter.
type IncidentFilter struct {
	States     []State
	Priorities []Priority
	Service    string
	// OpenedAfter/OpenedBefore bound OpenedAt: [after, before).
	OpenedAfter  time.Time
	OpenedBefore time.Time
	// Limit caps the result (newest first); 0 means 500.
	Limit int
}

// Event is one entry of an incident's append-only timeline.
type Event struct {
	ID         int64          `json:"id"`
	IncidentID int64          `json:"incidentId"`
	At         time.Time      `json:"at"`
	Kind       EventKind      `json:"kind"`
	Actor      string         `json:"actor"` // "system" for the receiver itself
	From       string         `json:"from,omitempty"`
	To         string         `json:"to,omitempty"`
	Note       string         `json:"note,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

// EventKind names what happened.
type EventKind string

// Timeline event kinds.
const (
	EventOpened             EventKind = "opened"
	EventReopened           EventKind = "reopened"
	EventOccurrenceFiring   EventKind = "occurrence_firing"
	EventOccurrenceResolved EventKind = "occurrence_resolved"
	EventGraded             EventKind = "graded"
	EventPriorityRaised     EventKind = "priority_raised"
	EventPriorityLowered    EventKind = "priority_lowered"
	EventTransition         EventKind = "transition"
	EventAutoResolved       EventKind = "auto_resolved"
	EventNote               EventKind = "note"
	EventSLABreached        EventKind = "sla_breached"
	EventAssigned           EventKind = "assigned"
)

// SystemActor is the actor of events the receiver makes itself.
const SystemActor = "system"

// OutboxItem is one notification waiting to be delivered.
type OutboxItem struct {
	ID      int64  `json:"id"`
	Key     string `json:"key"`     // unique: the same key is enqueued once
	Channel string `json:"channel"` // which sender delivers it
	// Queue is the kind of work (QueueNotify when empty on Enqueue).
	Queue string `json:"queue"`
	// OrderingKey serialises items: see Jobs.ClaimJobs ("" for none).
	OrderingKey string    `json:"orderingKey,omitempty"`
	Kind        string    `json:"kind"` // opened, escalated, resolved, ...
	IncidentID  int64     `json:"incidentId"`
	Payload     []byte    `json:"payload"` // JSON for the sender
	CreatedAt   time.Time `json:"createdAt"`
	NotBefore   time.Time `json:"notBefore"` // earliest next attempt
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"lastError,omitempty"`
	ClaimedBy   string    `json:"claimedBy,omitempty"`
	LeaseUntil  time.Time `json:"leaseUntil,omitzero"`
	DoneAt      time.Time `json:"doneAt,omitzero"`
	Failed      bool      `json:"failed"` // done without delivery (gave up)
}

// Stats are gauges read at scrape time.
type Stats struct {
	OpenIncidents map[Priority]int
	OutboxDepth   int // not yet done
}
