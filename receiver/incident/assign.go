package incident

import (
	"context"
	"fmt"
	"strings"

	"github.com/golive-ops/golive/receiver/store"
)

// Assign hands an incident to a person (the console's "reassign" and
// "assign to me"). Assigning it to whoever has it already changes nothing.
func (e *Engine) Assign(ctx context.Context, id int64, assignee string, a Action) (store.Incident, error) {
	if err := a.check(); err != nil {
		return store.Incident{}, err
	}
	assignee = strings.TrimSpace(assignee)
	switch {
	case assignee == "":
		return store.Incident{}, fmt.Errorf("%w: assignee is required", ErrInvalid)
	case len(assignee) > 200 || strings.ContainsRune(assignee, 0):
		return store.Incident{}, fmt.Errorf("%w: assignee is longer than 200 bytes or contains a NUL character", ErrInvalid)
	}
	return e.modify(ctx, id, func(inc *store.Incident, b *batch) error {
		if inc.State == store.StateClosed {
			return &TransitionError{ID: inc.ID, From: inc.State, To: inc.State, Why: "a closed incident cannot be reassigned"}
		}
		if inc.Assignee == assignee {
			return nil
		}
		from := inc.Assignee
		inc.Assignee, inc.UpdatedAt = assignee, b.now
		b.event(inc.ID, store.Event{Kind: store.EventAssigned, Actor: a.Actor, From: from, To: assignee, Note: a.Note})
		return nil
	})
}
