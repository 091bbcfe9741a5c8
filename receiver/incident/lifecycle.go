package incident

import (
	"fmt"
	"strings"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// transitions are the moves people may make (runbook R5.3). The receiver
// itself also resolves (all occurrences ended) and reopens (a resolved
// incident fires again within the reopen window).
var transitions = map[store.State][]store.State{
	store.StateNew:          {store.StateAcknowledged, store.StateInProgress, store.StateResolved},
	store.StateAcknowledged: {store.StateInProgress, store.StateResolved},
	store.StateInProgress:   {store.StateResolved},
	store.StateResolved:     {store.StateClosed},
	store.StateClosed:       nil,
}

// TransitionError is a move the lifecycle does not allow (HTTP 409).
type TransitionError struct {
	ID       int64
	From, To store.State
	// Why replaces the list of allowed moves when the refused change is not
	// a move (a regrade of a resolved incident).
	Why string
}

func (e *TransitionError) Error() string {
	if e.Why != "" {
		return fmt.Sprintf("incident %d is %s: %s", e.ID, e.From, e.Why)
	}
	allowed := make([]string, 0, 3)
	for _, s := range transitions[e.From] {
		allowed = append(allowed, string(s))
	}
	next := "none, it is final"
	if len(allowed) > 0 {
		next = strings.Join(allowed, ", ")
	}
	return fmt.Sprintf("incident %d is %s and cannot move to %s (allowed: %s)", e.ID, e.From, e.To, next)
}

// CheckTransition reports whether inc may move to `to`.
func CheckTransition(inc store.Incident, to store.State) error {
	for _, s := range transitions[inc.State] {
		if s == to {
			return nil
		}
	}
	return &TransitionError{ID: inc.ID, From: inc.State, To: to}
}

// apply moves inc to `to` at now and stamps the matching time.
func apply(inc *store.Incident, to store.State, now time.Time) {
	inc.State, inc.UpdatedAt = to, now
	switch to {
	case store.StateAcknowledged, store.StateInProgress:
		if inc.AcknowledgedAt.IsZero() {
			inc.AcknowledgedAt = now
		}
	case store.StateResolved:
		inc.ResolvedAt = now
	case store.StateClosed:
		inc.ClosedAt = now
	}
}
