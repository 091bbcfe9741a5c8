package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

func newRollout(t *testing.T, s store.Store, name string) store.Rollout {
	t.Helper()
	r := store.Rollout{Name: name, Gate: "go-live", State: store.RolloutRunning, Source: []byte("gate: go-live\n"),
		Plan: []byte(`{"gate":"go-live"}`), Step: -1, HoldResumedStep: -1, Before: []byte(`{"old":{"weight":200}}`)}
	if err := s.CreateRollout(ctx(t), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func testRollouts(t *testing.T, open Opener) {
	clock := &Clock{t: T0}
	s := open(t, clock.Now)
	if _, err := s.Rollout(ctx(t), 7); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown rollout: %v, want ErrNotFound", err)
	}
	a := newRollout(t, s, "a")
	b := newRollout(t, s, "b")
	if a.ID == 0 || b.ID <= a.ID {
		t.Fatalf("ids %d, %d", a.ID, b.ID)
	}
	got, err := s.Rollout(ctx(t), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "a" || got.State != store.RolloutRunning || string(got.Source) != "gate: go-live\n" ||
		string(got.Before) != `{"old":{"weight":200}}` || got.Step != -1 || !got.CreatedAt.Equal(T0) || got.Applied != nil {
		t.Errorf("round trip: %+v", got)
	}

	// One owner at a time; the lease expires; renewals keep it.
	if err := s.ClaimRollout(ctx(t), a.ID, "r1", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimRollout(ctx(t), a.ID, "r2", 10*time.Second); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("second owner claimed a live lease: %v", err)
	}
	clock.Add(5 * time.Second)
	if err := s.ClaimRollout(ctx(t), a.ID, "r1", 10*time.Second); err != nil {
		t.Fatalf("renewal: %v", err)
	}
	clock.Add(9 * time.Second)
	if err := s.ClaimRollout(ctx(t), a.ID, "r2", 10*time.Second); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("renewed lease taken: %v", err)
	}

	// Advancing needs the lease; a request that arrives meanwhile survives
	// an advance that does not consume it.
	got.Step, got.StepPhase, got.StepStartedAt, got.Applied = 0, "observing", clock.Now(), []byte(`{"new":{"weight":20}}`)
	change := store.RolloutEvent{At: clock.Now(), Kind: "traffic_change", Step: 0, Before: []byte(`{"a":1}`), After: []byte(`{"a":2}`)}
	if err := s.AdvanceRollout(ctx(t), &got, "r2", false, []store.RolloutEvent{change}, nil); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("advance without the lease: %v", err)
	}
	if err := s.RequestRollout(ctx(t), a.ID, "pause", "alice"); err != nil {
		t.Fatal(err)
	}
	note := store.OutboxItem{Key: "rollout-a-x", Channel: "ops", Kind: "rollout_succeeded", Payload: []byte(`{}`), CreatedAt: clock.Now(), NotBefore: clock.Now()}
	if err := s.AdvanceRollout(ctx(t), &got, "r1", false, []store.RolloutEvent{change}, []store.OutboxItem{note}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Rollout(ctx(t), a.ID)
	if got.Step != 0 || got.StepPhase != "observing" || !got.StepStartedAt.Equal(clock.Now()) || got.Request != "pause" ||
		string(got.Applied) != `{"new":{"weight":20}}` {
		t.Errorf("after advance: %+v", got)
	}
	got.State = store.RolloutPaused
	if err := s.AdvanceRollout(ctx(t), &got, "r1", true, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Rollout(ctx(t), a.ID); got.Request != "" || got.State != store.RolloutPaused {
		t.Errorf("request not consumed: %+v", got)
	}
	claimed, err := s.ClaimOutbox(ctx(t), "w", 10, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].Key != "rollout-a-x" || claimed[0].IncidentID != 0 {
		t.Errorf("notification enqueued with the advance: %+v, %v", claimed, err)
	}

	// After the lease expires another replica takes over.
	clock.Add(11 * time.Second)
	if err := s.ClaimRollout(ctx(t), a.ID, "r2", 10*time.Second); err != nil {
		t.Fatalf("expired lease not taken over: %v", err)
	}
	if err := s.AdvanceRollout(ctx(t), &got, "r1", false, nil, nil); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("old owner still writes: %v", err)
	}
	got.State, got.Reason = store.RolloutRolledBack, "error_rate 0.2 > 0.05"
	if err := s.AdvanceRollout(ctx(t), &got, "r2", false, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RequestRollout(ctx(t), a.ID, "resume", "bob"); !errors.Is(err, store.ErrRolloutFinal) {
		t.Errorf("request on a final rollout: %v", err)
	}
	if err := s.RequestRollout(ctx(t), 999, "resume", "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("request on an unknown rollout: %v", err)
	}
	if err := s.ClaimRollout(ctx(t), a.ID, "r2", 10*time.Second); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a final rollout was claimed: %v", err)
	}
	final, _ := s.Rollout(ctx(t), a.ID)
	if final.EndedAt.IsZero() || final.Reason != "error_rate 0.2 > 0.05" {
		t.Errorf("final: %+v", final)
	}

	all, err := s.ListRollouts(ctx(t), 0, false)
	if err != nil || len(all) != 2 || all[0].ID != b.ID {
		t.Errorf("list: %v, %v", all, err)
	}
	active, err := s.ListRollouts(ctx(t), 0, true)
	if err != nil || len(active) != 1 || active[0].ID != b.ID {
		t.Errorf("active: %v, %v", active, err)
	}
	evs, err := s.RolloutEvents(ctx(t), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := ""
	for _, e := range evs {
		kinds += e.Kind + " "
	}
	if kinds != "created requested traffic_change " {
		t.Fatalf("events: %q", kinds)
	}
	if string(evs[2].Before) != `{"a":1}` || string(evs[2].After) != `{"a":2}` || evs[1].Actor != "alice" || evs[1].Note != "pause" {
		t.Errorf("event round trip: %+v %+v", evs[1], evs[2])
	}
}
