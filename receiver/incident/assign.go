package incident

import (
	"context"
	"fmt"
	"strings"

	"github.com/golive-ops/golive/receiver/store"
)

// maxAssigneeLen bounds an assignee name: a person or a team, never a page.
const maxAssigneeLen = 200

// Assign hands an open incident to assignee by hand ("" unassigns); the
// timeline records who did it and from whom it moved.
func (e *Engine) Assign(ctx context.Context, id int64, assignee string, a Action) (store.Incident, error) {
	if err := a.check(); err != nil {
		return store.Incident{}, err
	}
	assignee = strings.TrimSpace(assignee)
	if len(assignee) > maxAssigneeLen {
		return store.Incident{}, fmt.Errorf("%w: assignee is longer than %d bytes", ErrInvalid, maxAssigneeLen)
	}
	if strings.ContainsRune(assignee, 0) {
		return store.Incident{}, fmt.Errorf("%w: assignee contains a NUL character", ErrInvalid)
	}
	return e.modify(ctx, id, func(inc *store.Incident, b *batch) error {
		if !inc.State.Open() {
			return &TransitionError{ID: inc.ID, From: inc.State, To: inc.State, Why: "it can be assigned only while it is open"}
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
