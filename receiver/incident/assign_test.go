package incident

import (
	"context"
	"errors"
	"testing"

	"github.com/golive-ops/golive/receiver/store"
)

func TestAssign(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(peerA, "", firing("f1", "ServiceDown", t0, web, "0"))
	id := f.only().ID
	ctx := context.Background()
	before := f.only().Assignee

	got, err := f.engine.Assign(ctx, id, "  carol ", Action{Actor: "bob", Note: "she knows the service"})
	if err != nil || got.Assignee != "carol" {
		t.Fatalf("assign: %+v, %v", got, err)
	}
	evs, err := f.store.Timeline(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != store.EventAssigned || last.Actor != "bob" || last.From != before || last.To != "carol" || last.Note != "she knows the service" {
		t.Errorf("timeline ends with %+v", last)
	}
	n := len(evs)
	if _, err := f.engine.Assign(ctx, id, "carol", Action{Actor: "bob"}); err != nil {
		t.Fatal(err)
	}
	if evs, _ := f.store.Timeline(ctx, id); len(evs) != n {
		t.Errorf("assigning the same person again added %d events", len(evs)-n)
	}
	if got, err := f.engine.Assign(ctx, id, "", Action{Actor: "bob"}); err != nil || got.Assignee != "" {
		t.Errorf("unassign: %+v, %v", got, err)
	}
	for _, bad := range []string{"a\x00b", string(make([]byte, 201))} {
		if _, err := f.engine.Assign(ctx, id, bad, Action{Actor: "bob"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("assignee %q: %v, want ErrInvalid", bad[:1], err)
		}
	}
	if _, err := f.engine.Assign(ctx, id, "dave", Action{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no actor: %v", err)
	}
	for _, to := range []store.State{store.StateResolved, store.StateClosed} {
		if _, err := f.engine.Transition(ctx, id, to, Action{Actor: "bob"}); err != nil {
			t.Fatal(err)
		}
	}
	var te *TransitionError
	if _, err := f.engine.Assign(ctx, id, "dave", Action{Actor: "bob"}); !errors.As(err, &te) {
		t.Errorf("assigning a closed incident: %v, want a TransitionError", err)
	}
}
