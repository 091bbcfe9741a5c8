package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golive-ops/golive/receiver/store"
)

// ErrInvalid is a request that can never succeed as sent (HTTP 400).
var ErrInvalid = errors.New("invalid request")

// Action is a person's request on one incident.
type Action struct {
	Actor string
	Note  string
}

func (a Action) check() error {
	if strings.TrimSpace(a.Actor) == "" {
		return fmt.Errorf("%w: actor is required", ErrInvalid)
	}
	if len(a.Actor) > 200 || len(a.Note) > 10000 {
		return fmt.Errorf("%w: actor (200 bytes) or note (10000 bytes) too long", ErrInvalid)
	}
	// PostgreSQL text cannot hold U+0000; refuse it on every store alike.
	if strings.ContainsRune(a.Actor+a.Note, 0) {
		return fmt.Errorf("%w: actor or note contains a NUL character", ErrInvalid)
	}
	return nil
}

var stateChanges = map[store.State]ChangeKind{
	store.StateAcknowledged: ChangeAcknowledged,
	store.StateInProgress:   ChangeInProgress,
	store.StateResolved:     ChangeResolved,
	store.StateClosed:       ChangeClosed,
}

// Transition moves an incident along its lifecycle. A move the lifecycle
// does not allow returns a *TransitionError.
func (e *Engine) Transition(ctx context.Context, id int64, to store.State, a Action) (store.Incident, error) {
	if err := a.check(); err != nil {
		return store.Incident{}, err
	}
	if !to.Valid() {
		return store.Incident{}, fmt.Errorf("%w: state %q is not one of new, acknowledged, in_progress, resolved, closed", ErrInvalid, to)
	}
	return e.modify(ctx, id, func(inc *store.Incident, b *batch) error {
		if err := CheckTransition(*inc, to); err != nil {
			return err
		}
		from := inc.State
		apply(inc, to, b.now)
		b.event(inc.ID, store.Event{Kind: store.EventTransition, Actor: a.Actor, From: string(from), To: string(to), Note: a.Note})
		b.change(inc, stateChanges[to], "", "")
		return nil
	})
}

// AddNote appends a note to the timeline.
func (e *Engine) AddNote(ctx context.Context, id int64, a Action) (store.Incident, error) {
	if err := a.check(); err != nil {
		return store.Incident{}, err
	}
	if strings.TrimSpace(a.Note) == "" {
		return store.Incident{}, fmt.Errorf("%w: note is empty", ErrInvalid)
	}
	return e.modify(ctx, id, func(inc *store.Incident, b *batch) error {
		b.event(inc.ID, store.Event{Kind: store.EventNote, Actor: a.Actor, Note: a.Note})
		return nil
	})
}

// SetPriority regrades an open incident by hand. Lowering needs a note: a
// grade is never lowered silently.
func (e *Engine) SetPriority(ctx context.Context, id int64, p store.Priority, a Action) (store.Incident, error) {
	if err := a.check(); err != nil {
		return store.Incident{}, err
	}
	if !p.Valid() {
		return store.Incident{}, fmt.Errorf("%w: priority %q is not one of P0, P1, P2, P3", ErrInvalid, p)
	}
	return e.modify(ctx, id, func(inc *store.Incident, b *batch) error {
		if !inc.State.Open() {
			return &TransitionError{ID: inc.ID, From: inc.State, To: inc.State, Why: "its priority can change only while it is open"}
		}
		if p == inc.Priority {
			return nil
		}
		reason := store.GradeReason{Rule: "manual", Matched: map[string]string{"actor": a.Actor}}
		if p.Higher(inc.Priority) {
			b.raise(inc, p, reason)
			b.events[len(b.events)-1].Actor, b.events[len(b.events)-1].Note = a.Actor, a.Note
			return nil
		}
		if strings.TrimSpace(a.Note) == "" {
			return fmt.Errorf("%w: lowering %s to %s needs a note saying why", ErrInvalid, inc.Priority, p)
		}
		prev := inc.Priority
		inc.Priority, inc.GradeReason, inc.UpdatedAt = p, reason, b.now
		ev := gradeEvent(store.EventPriorityLowered, prev, p, reason)
		ev.Actor, ev.Note = a.Actor, a.Note
		b.event(inc.ID, ev)
		b.change(inc, ChangeLowered, prev, fmt.Sprintf("%s/%d", p, b.now.UnixNano()))
		return nil
	})
}

// modify runs fn on one locked incident and writes what it changed.
func (e *Engine) modify(ctx context.Context, id int64, fn func(*store.Incident, *batch) error) (store.Incident, error) {
	var out store.Incident
	err := e.o.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		inc, err := tx.IncidentForUpdate(ctx, id)
		if err != nil {
			return err
		}
		b := &batch{e: e, tx: tx, now: e.o.Now(), incidents: map[int64]*store.Incident{inc.ID: &inc},
			dirty: map[int64]bool{inc.ID: true}, causes: map[int64][]store.Occurrence{}}
		if err := fn(&inc, b); err != nil {
			return err
		}
		b.changes = setActor(b.changes, b.events)
		out = inc
		return b.flush(ctx)
	})
	return out, err
}

// setActor credits people's changes to them rather than the system.
func setActor(changes []Change, evs []store.Event) []Change {
	if len(evs) == 0 {
		return changes
	}
	for i := range changes {
		changes[i].Actor = evs[len(evs)-1].Actor
	}
	return changes
}
