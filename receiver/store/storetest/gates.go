package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

func testGateDecisions(t *testing.T, open Opener) {
	s := open(t, time.Now)
	if _, err := s.LatestGateDecision(ctx(t), "go-live"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("latest of a gate without decisions: %v, want ErrNotFound", err)
	}
	if _, err := s.GateDecision(ctx(t), 42); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v, want ErrNotFound", err)
	}
	var ids []int64
	for i, d := range []string{"hold", "proceed", "rollback"} {
		gd := &store.GateDecision{Gate: "go-live", Decision: d, EvaluatedAt: T0.Add(time.Duration(i) * time.Second),
			Body: []byte(`{"decision":"` + d + `"}`)}
		if err := s.InsertGateDecision(ctx(t), gd); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, gd.ID)
	}
	other := &store.GateDecision{Gate: "canary", Decision: "hold", EvaluatedAt: T0, Body: []byte(`{}`)}
	if err := s.InsertGateDecision(ctx(t), other); err != nil {
		t.Fatal(err)
	}
	if !(ids[0] < ids[1] && ids[1] < ids[2] && ids[2] < other.ID) {
		t.Fatalf("ids not increasing: %v then %d", ids, other.ID)
	}
	got, err := s.GateDecision(ctx(t), ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if got.Gate != "go-live" || got.Decision != "proceed" || !got.EvaluatedAt.Equal(T0.Add(time.Second)) || string(got.Body) != `{"decision":"proceed"}` {
		t.Errorf("round trip: %+v", got)
	}
	latest, err := s.LatestGateDecision(ctx(t), "go-live")
	if err != nil || latest.ID != ids[2] || latest.Decision != "rollback" {
		t.Errorf("latest: %+v, %v; want id %d rollback", latest, err, ids[2])
	}
}

func testFiringOccurrences(t *testing.T, open Opener) {
	s := open(t, time.Now)
	wh := webhook(t, s, "h1")
	upsert(t, s, wh, occ("a", T0, time.Time{}), occ("b", T0, T0.Add(time.Minute)), occ("c", T0.Add(time.Second), time.Time{}))
	got, err := s.FiringOccurrences(ctx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Fingerprint != "c" || got[1].Fingerprint != "a" {
		t.Fatalf("firing = %+v, want c then a", got)
	}
	if got[0].Labels["instance"] != "c" {
		t.Errorf("labels not read back: %v", got[0].Labels)
	}
	if one, err := s.FiringOccurrences(ctx(t), 1); err != nil || len(one) != 1 {
		t.Errorf("limit 1: %d, %v", len(one), err)
	}
}
