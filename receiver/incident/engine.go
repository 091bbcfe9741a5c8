// Package incident turns alert occurrences into graded incidents: grouping,
// grading, the lifecycle, SLA deadlines and breaches. Every change is made
// in one store transaction together with its timeline events and, through
// the stages after grading, the work it causes (notifications,
// remediation).
package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/webhook"
)

// Options build an Engine.
type Options struct {
	Store        store.Store
	Grader       *Grader
	SLA          *SLAPolicy
	Grouping     Grouping
	ReopenWindow time.Duration
	OnCall       OnCall // nil: no assignee
	// Stages run after grading in the ingest transaction, in order
	// (notifications, then remediation planning); empty: nothing follows.
	Stages Stages
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now
	// OnBreach is called after a breach commits (for metrics).
	OnBreach func(p store.Priority, kind string)
}

// Engine applies webhooks and people's actions to incidents. It is safe
// for concurrent use; correctness across goroutines and replicas comes
// from the store's transactions and locks.
type Engine struct {
	o Options
}

// NewEngine returns an engine.
func NewEngine(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{o: o}
}

// Result summarises one ingested webhook.
type Result struct {
	WebhookID int64
	// ReplayedPayload: byte-identical to a payload stored before.
	ReplayedPayload bool
	Alerts          int
	New             int // occurrences first seen
	Resolved        int // firing occurrences now ended
	Duplicates      int // alerts that changed nothing
	Changes         []Change
}

// Ingest stores a validated webhook and everything it changes in one
// transaction. It returns only after the commit; any error means nothing
// was stored (and wraps store.ErrUnavailable when storage failed).
//
// Replays, HA peers' copies and repeat notifications (notification_reason
// "repeat interval elapsed") of known occurrences change nothing, so they
// never reach the stages again; a repeat that carries an occurrence the
// store has never seen is new information and is processed like any other.
func (e *Engine) Ingest(ctx context.Context, msg *webhook.Message, raw []byte) (Result, error) {
	now := e.o.Now()
	sum := sha256.Sum256(raw)
	w := &store.Webhook{Hash: hex.EncodeToString(sum[:]), ReceivedAt: now, Receiver: msg.Receiver, GroupKey: msg.GroupKey,
		Status: msg.Status, Reason: msg.NotificationReason, Alerts: len(msg.Alerts), Body: raw}
	occs := occurrences(msg, now)
	var res Result
	err := e.o.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		res = Result{Alerts: len(msg.Alerts)}
		dup, err := tx.InsertWebhook(ctx, w)
		if err != nil {
			return err
		}
		res.WebhookID, res.ReplayedPayload = w.ID, dup
		changed, err := tx.UpsertOccurrences(ctx, w.ID, occs)
		if err != nil {
			return err
		}
		b := &batch{e: e, tx: tx, now: now, incidents: map[int64]*store.Incident{}}
		if err := b.apply(ctx, changed); err != nil {
			return err
		}
		res.New, res.Resolved = b.inserted, b.resolved
		res.Changes = b.changes
		return b.flush(ctx)
	})
	if err != nil {
		return Result{}, err
	}
	res.Duplicates = len(msg.Alerts) - res.New - res.Resolved
	return res, nil
}

// occurrences converts alerts, sorted by key (the lock order) with
// duplicates inside one payload folded (a resolved copy wins).
func occurrences(msg *webhook.Message, now time.Time) []store.Occurrence {
	out := make([]store.Occurrence, 0, len(msg.Alerts))
	for _, a := range msg.Alerts {
		out = append(out, store.Occurrence{Fingerprint: a.Fingerprint, StartsAt: a.StartsAt, EndsAt: a.EndsAt,
			AlertName: a.Labels["alertname"], Labels: a.Labels, Annotations: a.Annotations, GeneratorURL: a.GeneratorURL,
			ReceivedAt: now})
	}
	slices.SortStableFunc(out, func(a, b store.Occurrence) int {
		if c := strings.Compare(a.Fingerprint, b.Fingerprint); c != 0 {
			return c
		}
		if c := a.StartsAt.Compare(b.StartsAt); c != 0 {
			return c
		}
		return b.EndsAt.Compare(a.EndsAt) // the ended copy first, so it is kept
	})
	return slices.CompactFunc(out, func(a, b store.Occurrence) bool {
		return a.Fingerprint == b.Fingerprint && a.StartsAt.Equal(b.StartsAt)
	})
}

// errNoIncident means a resolved occurrence's incident vanished: a bug or
// a manual database edit, never normal operation.
var errNoIncident = errors.New("resolved occurrence has no incident")
