package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

func testReadiness(t *testing.T, open Opener) {
	s := open(t, time.Now)
	if _, err := s.LatestReadinessReport(ctx(t)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("latest report of an empty store: %v, want ErrNotFound", err)
	}
	if got, err := s.LatestSignoffs(ctx(t)); err != nil || len(got) != 0 {
		t.Fatalf("sign-offs of an empty store: %v, %v", got, err)
	}

	// The newest sign-off of an item wins, even when it expires sooner.
	for i, so := range []store.Signoff{
		{Item: "training", By: "ana", Comment: "first", SignedAt: T0, ExpiresAt: T0.Add(90 * 24 * time.Hour)},
		{Item: "oncall", By: "bo", Comment: "rota", SignedAt: T0, ExpiresAt: T0.Add(time.Hour)},
		{Item: "training", By: "cy", Comment: "again", SignedAt: T0.Add(time.Minute), ExpiresAt: T0.Add(2 * time.Hour)},
	} {
		if err := s.InsertSignoff(ctx(t), &so); err != nil || so.ID == 0 {
			t.Fatalf("insert %d: id %d, %v", i, so.ID, err)
		}
	}
	got, err := s.LatestSignoffs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Item != "oncall" || got[1].Item != "training" {
		t.Fatalf("latest sign-offs: %+v, want oncall then training", got)
	}
	if tr := got[1]; tr.By != "cy" || tr.Comment != "again" || !tr.SignedAt.Equal(T0.Add(time.Minute)) || !tr.ExpiresAt.Equal(T0.Add(2*time.Hour)) {
		t.Errorf("training: %+v, want cy's newer sign-off with exact times", tr)
	}

	for i, ready := range []bool{false, true, false} {
		r := &store.ReadinessReport{GeneratedAt: T0.Add(time.Duration(i) * time.Second), Ready: ready, Body: []byte(`{"n":` + string(rune('0'+i)) + `}`)}
		if err := s.InsertReadinessReport(ctx(t), r); err != nil || r.ID == 0 {
			t.Fatalf("insert report %d: %v", i, err)
		}
	}
	latest, err := s.LatestReadinessReport(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if latest.Ready || string(latest.Body) != `{"n":2}` || !latest.GeneratedAt.Equal(T0.Add(2*time.Second)) {
		t.Errorf("latest report: %+v %s", latest, latest.Body)
	}

	for _, ct := range []store.ChannelTest{
		{Channel: "slack", OK: true, TestedAt: T0},
		{Channel: "slack", OK: false, Error: "503 from hooks.slack.com", TestedAt: T0.Add(time.Hour)},
		{Channel: "email", OK: false, Error: "connection refused", TestedAt: T0},
	} {
		if err := s.InsertChannelTest(ctx(t), ct); err != nil {
			t.Fatal(err)
		}
	}
	tests, err := s.ChannelTests(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) != 2 || tests[0].Channel != "email" || tests[1].Channel != "slack" {
		t.Fatalf("channel tests: %+v", tests)
	}
	if e := tests[0]; !e.LastSuccess.IsZero() || e.LastError != "connection refused" || !e.LastAttempt.Equal(T0) {
		t.Errorf("email (never passed): %+v", e)
	}
	if sl := tests[1]; !sl.LastSuccess.Equal(T0) || !sl.LastAttempt.Equal(T0.Add(time.Hour)) || sl.LastError != "503 from hooks.slack.com" {
		t.Errorf("slack (passed, then failed): %+v", sl)
	}
}
