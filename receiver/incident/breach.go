package incident

import (
	"context"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// Breach kinds.
const (
	BreachResponse   = "response"
	BreachResolution = "resolution"
)

type breach struct {
	p    store.Priority
	kind string
}

// CheckSLA marks every incident whose deadline passed as breached: a
// timeline event and an sla_breach change for the stages, in one
// transaction per batch. Each breach is marked once across replicas (rows
// are locked and the breach time is written). It returns how many were
// marked.
func (e *Engine) CheckSLA(ctx context.Context) (int, error) {
	total := 0
	for {
		var marked []breach
		err := e.o.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			now := e.o.Now()
			due, err := tx.DueBreaches(ctx, now, 100)
			if err != nil {
				return err
			}
			b := &batch{e: e, tx: tx, now: now, incidents: map[int64]*store.Incident{}, dirty: map[int64]bool{},
				causes: map[int64][]store.Occurrence{}}
			marked = marked[:0]
			for i := range due {
				inc := &due[i]
				b.track(inc)
				b.dirty[inc.ID] = true
				marked = append(marked, b.markBreaches(inc)...)
			}
			return b.flush(ctx)
		})
		if err != nil {
			return total, err
		}
		for _, m := range marked {
			if e.o.OnBreach != nil {
				e.o.OnBreach(m.p, m.kind)
			}
		}
		total += len(marked)
		if len(marked) == 0 {
			return total, nil
		}
	}
}

func (b *batch) markBreaches(inc *store.Incident) []breach {
	var out []breach
	if inc.State == store.StateNew && inc.ResponseBreachedAt.IsZero() && !inc.ResponseDue.IsZero() && !inc.ResponseDue.After(b.now) {
		inc.ResponseBreachedAt = b.now
		out = append(out, b.breached(inc, BreachResponse, inc.ResponseDue))
	}
	if inc.ResolutionBreachedAt.IsZero() && !inc.ResolutionDue.IsZero() && !inc.ResolutionDue.After(b.now) {
		inc.ResolutionBreachedAt = b.now
		out = append(out, b.breached(inc, BreachResolution, inc.ResolutionDue))
	}
	return out
}

func (b *batch) breached(inc *store.Incident, kind string, due time.Time) breach {
	b.event(inc.ID, store.Event{Kind: store.EventSLABreached, Actor: store.SystemActor,
		Note: kind + " deadline missed", Data: map[string]any{"kind": kind, "due": due}})
	b.changes = append(b.changes, Change{Kind: ChangeSLABreach, Incident: *inc, At: b.now, Actor: store.SystemActor,
		Breach: kind, Key: changeKey(*inc, ChangeSLABreach, kind)})
	return breach{p: inc.Priority, kind: kind}
}

// RunSLA checks deadlines every interval until ctx ends.
func (e *Engine) RunSLA(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := e.CheckSLA(ctx); err != nil && ctx.Err() == nil {
			e.o.Logger.Error("SLA check failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
