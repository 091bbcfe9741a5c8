package incident

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// batch applies one webhook's occurrence changes inside its transaction.
// Locks are taken in a fixed order (occurrence keys by the upsert, then
// group keys sorted, then incident rows under their group lock), so
// replicas processing overlapping webhooks cannot deadlock.
type batch struct {
	e         *Engine
	tx        store.Tx
	now       time.Time
	incidents map[int64]*store.Incident // every incident touched
	dirty     map[int64]bool            // … that need an UPDATE
	events    []store.Event
	changes   []Change
	causes    map[int64][]store.Occurrence

	inserted, resolved int
	lastOpened         int64
}

func (b *batch) apply(ctx context.Context, changed []store.OccurrenceChange) error {
	b.dirty, b.causes = map[int64]bool{}, map[int64][]store.Occurrence{}
	newByGroup := map[string][]store.Occurrence{}
	groupLabels := map[string]map[string]string{}
	locks := map[string]bool{}
	var ended []store.Occurrence
	for _, c := range changed {
		key, used := b.e.o.Grouping.Key(c.Labels)
		locks[key] = true
		if c.Inserted {
			b.inserted++
			newByGroup[key] = append(newByGroup[key], c.Occurrence)
			groupLabels[key] = used
			continue
		}
		b.resolved++
		ended = append(ended, c.Occurrence)
	}
	if err := b.tx.LockGroups(ctx, slices.Sorted(maps.Keys(locks))); err != nil {
		return err
	}
	for _, key := range slices.Sorted(maps.Keys(newByGroup)) {
		if err := b.joinGroup(ctx, key, groupLabels[key], newByGroup[key]); err != nil {
			return err
		}
	}
	if err := b.endOccurrences(ctx, ended); err != nil {
		return err
	}
	return b.autoResolve(ctx)
}

// joinGroup attaches new occurrences to their group's open incident,
// reopens a recently resolved one, or opens a new one.
func (b *batch) joinGroup(ctx context.Context, key string, used map[string]string, occs []store.Occurrence) error {
	best, reason := b.grade(occs)
	inc, found, err := b.tx.LatestIncident(ctx, key)
	if err != nil {
		return err
	}
	switch {
	case found && inc.State.Open():
		b.track(&inc)
		b.raise(&inc, best, reason)
	case found && inc.State == store.StateResolved && b.now.Sub(inc.ResolvedAt) <= b.e.o.ReopenWindow:
		b.track(&inc)
		b.reopen(ctx, &inc)
		b.raise(&inc, best, reason)
	default:
		if err := b.open(ctx, key, used, occs, best, reason); err != nil {
			return err
		}
		inc = *b.incidents[b.lastOpened]
	}
	ids := make([]int64, len(occs))
	for i, o := range occs {
		ids[i] = o.ID
		o.IncidentID = inc.ID
		b.causes[inc.ID] = append(b.causes[inc.ID], o)
		b.event(inc.ID, occurrenceEvent(o))
	}
	return b.tx.AttachOccurrences(ctx, inc.ID, ids)
}

func occurrenceEvent(o store.Occurrence) store.Event {
	e := store.Event{Kind: store.EventOccurrenceFiring, Actor: store.SystemActor, Data: map[string]any{
		"fingerprint": o.Fingerprint, "startsAt": o.StartsAt, "alertname": o.AlertName, "labels": o.Labels}}
	if !o.Firing() {
		e.Kind = store.EventOccurrenceResolved
		e.Data["endsAt"] = o.EndsAt
	}
	return e
}

// grade returns the highest grade among occs (the first on ties).
func (b *batch) grade(occs []store.Occurrence) (store.Priority, store.GradeReason) {
	var (
		best   store.Priority
		reason store.GradeReason
	)
	for _, o := range occs {
		p, r := b.e.o.Grader.Grade(o.Labels, o.Annotations)
		if best == "" || p.Higher(best) {
			r.Fingerprint = o.Fingerprint
			best, reason = p, r
		}
	}
	return best, reason
}

func (b *batch) track(inc *store.Incident) {
	b.incidents[inc.ID] = inc
}

func (b *batch) open(ctx context.Context, key string, used map[string]string, occs []store.Occurrence,
	p store.Priority, reason store.GradeReason) error {
	inc := &store.Incident{GroupKey: key, Title: title(used, b.e.o.Grouping), Service: used["service"], Labels: used,
		State: store.StateNew, Priority: p, GradeReason: reason, Cycle: 1, OpenedAt: b.now, UpdatedAt: b.now}
	if inc.Service == "" {
		inc.Service = occs[0].Labels["service"]
	}
	if inc.Title == "" {
		inc.Title = occs[0].AlertName
	}
	inc.ResponseDue, inc.ResolutionDue = b.e.o.SLA.Deadlines(p, b.now)
	inc.Assignee = b.who(ctx, p)
	if err := b.tx.CreateIncident(ctx, inc); err != nil {
		return err
	}
	b.incidents[inc.ID], b.lastOpened = inc, inc.ID
	b.event(inc.ID, store.Event{Kind: store.EventOpened, Actor: store.SystemActor, To: string(store.StateNew),
		Data: map[string]any{"groupKey": key}})
	b.event(inc.ID, gradeEvent(store.EventGraded, "", p, reason))
	if inc.Assignee != "" {
		b.event(inc.ID, store.Event{Kind: store.EventAssigned, Actor: store.SystemActor, To: inc.Assignee})
	}
	b.change(inc, ChangeOpened, "", "")
	return nil
}

func (b *batch) who(ctx context.Context, p store.Priority) string {
	if b.e.o.OnCall == nil {
		return ""
	}
	who, err := b.e.o.OnCall.Who(ctx, b.now, p)
	if err != nil {
		// An unstaffed schedule must not lose the alert; the incident
		// stays unassigned and the timeline says so.
		b.e.o.Logger.Warn("no on-call assignee", "priority", p, "err", err)
		return ""
	}
	return who
}

func gradeEvent(kind store.EventKind, from, to store.Priority, r store.GradeReason) store.Event {
	data := map[string]any{"rule": r.Rule, "fingerprint": r.Fingerprint}
	if len(r.Matched) > 0 {
		data["matched"] = r.Matched
	}
	if r.Value != nil {
		data["value"] = *r.Value
	}
	return store.Event{Kind: kind, Actor: store.SystemActor, From: string(from), To: string(to), Data: data}
}

// raise escalates an open incident when new occurrences grade higher; a
// grade is never lowered automatically.
func (b *batch) raise(inc *store.Incident, p store.Priority, reason store.GradeReason) {
	if !p.Higher(inc.Priority) {
		return
	}
	prev := inc.Priority
	inc.Priority, inc.GradeReason, inc.UpdatedAt = p, reason, b.now
	// The tighter target applies from now, unless the old one is sooner.
	resp, resol := b.e.o.SLA.Deadlines(p, b.now)
	if resp.Before(inc.ResponseDue) {
		inc.ResponseDue = resp
	}
	if resol.Before(inc.ResolutionDue) {
		inc.ResolutionDue = resol
	}
	b.dirty[inc.ID] = true
	b.event(inc.ID, gradeEvent(store.EventPriorityRaised, prev, p, reason))
	// The time keeps a second raise to p in the same cycle (after a person
	// lowered it) from colliding with the first one's outbox key.
	b.change(inc, ChangeEscalated, prev, fmt.Sprintf("%s/%d", p, b.now.UnixNano()))
}

// reopen starts a new cycle of a resolved incident that fired again
// within the reopen window (flapping): new deadlines, breaches cleared.
func (b *batch) reopen(ctx context.Context, inc *store.Incident) {
	from := inc.State
	inc.State, inc.Cycle, inc.UpdatedAt = store.StateNew, inc.Cycle+1, b.now
	inc.AcknowledgedAt, inc.ResolvedAt = time.Time{}, time.Time{}
	inc.ResponseBreachedAt, inc.ResolutionBreachedAt = time.Time{}, time.Time{}
	inc.ResponseDue, inc.ResolutionDue = b.e.o.SLA.Deadlines(inc.Priority, b.now)
	if inc.Assignee == "" {
		inc.Assignee = b.who(ctx, inc.Priority)
	}
	b.dirty[inc.ID] = true
	b.event(inc.ID, store.Event{Kind: store.EventReopened, Actor: store.SystemActor, From: string(from), To: string(store.StateNew),
		Data: map[string]any{"cycle": inc.Cycle}})
	b.change(inc, ChangeReopened, "", "")
}

// endOccurrences records resolutions of known occurrences.
func (b *batch) endOccurrences(ctx context.Context, ended []store.Occurrence) error {
	slices.SortFunc(ended, func(x, y store.Occurrence) int { return cmp.Compare(x.IncidentID, y.IncidentID) })
	for _, o := range ended {
		if o.IncidentID == 0 {
			return fmt.Errorf("occurrence %s: %w", o.Fingerprint, errNoIncident)
		}
		if _, ok := b.incidents[o.IncidentID]; !ok {
			inc, err := b.tx.IncidentForUpdate(ctx, o.IncidentID)
			if err != nil {
				return err
			}
			b.track(&inc)
		}
		b.causes[o.IncidentID] = append(b.causes[o.IncidentID], o)
		b.event(o.IncidentID, occurrenceEvent(o))
	}
	return nil
}

// autoResolve resolves every touched open incident with nothing firing.
func (b *batch) autoResolve(ctx context.Context) error {
	for _, id := range slices.Sorted(maps.Keys(b.incidents)) {
		inc := b.incidents[id]
		if !inc.State.Open() {
			continue
		}
		n, err := b.tx.CountFiring(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		from := inc.State
		apply(inc, store.StateResolved, b.now)
		b.dirty[id] = true
		b.event(id, store.Event{Kind: store.EventAutoResolved, Actor: store.SystemActor, From: string(from),
			To: string(store.StateResolved), Note: "every occurrence has ended"})
		b.change(inc, ChangeResolved, "", "")
	}
	return nil
}

func (b *batch) event(id int64, e store.Event) {
	e.IncidentID, e.At = id, b.now
	if e.Actor == "" {
		e.Actor = store.SystemActor
	}
	b.events = append(b.events, e)
}

func (b *batch) change(inc *store.Incident, kind ChangeKind, prev store.Priority, detail string) {
	b.changes = append(b.changes, Change{Kind: kind, Incident: *inc, At: b.now, Actor: store.SystemActor,
		Previous: prev, Key: changeKey(*inc, kind, detail)})
}

// flush writes incidents and events, then hands the changes (with each
// incident as it ends up) to the stages, all in the same transaction.
func (b *batch) flush(ctx context.Context) error {
	for _, id := range slices.Sorted(maps.Keys(b.dirty)) {
		if err := b.tx.UpdateIncident(ctx, *b.incidents[id]); err != nil {
			return err
		}
	}
	if err := b.tx.AppendEvents(ctx, b.events); err != nil {
		return err
	}
	for i := range b.changes {
		id := b.changes[i].Incident.ID
		b.changes[i].Incident = *b.incidents[id]
		b.changes[i].Occurrences = b.causes[id]
	}
	if len(b.changes) == 0 {
		return nil
	}
	return b.e.o.Stages.Run(ctx, b.tx, b.changes)
}
