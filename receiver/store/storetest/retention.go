package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

func testCheckWritable(t *testing.T, open Opener) {
	s := open(t, time.Now)
	for range 2 { // the first inserts the heartbeat, the second updates it
		if err := s.CheckWritable(ctx(t)); err != nil {
			t.Fatalf("CheckWritable on a healthy store: %v", err)
		}
	}
}

// Many groups in one transaction take a bounded number of locks, and
// LockGroups can be called with the same key twice.
func testLockGroupsMany(t *testing.T, open Opener) {
	s := open(t, time.Now)
	keys := make([]string, 5000)
	for i := range keys {
		keys[i] = fmt.Sprintf("alertname=X,instance=h%05d", i)
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.LockGroups(ctx, append(keys, keys[0]))
	})
}

// closedIncident stores an incident closed at closed with one occurrence,
// two timeline events and a delivered outbox item.
func closedIncident(t *testing.T, s store.Store, name string, closed time.Time) store.Incident {
	t.Helper()
	wh := webhook(t, s, "h-"+name)
	chg := upsert(t, s, wh, occ(name, T0, T0.Add(time.Minute)))
	inc := newIncident("alertname="+name, store.P2, store.StateClosed, T0)
	inc.ResolvedAt, inc.ClosedAt = T0.Add(time.Minute), closed
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		if err := tx.AttachOccurrences(ctx, inc.ID, []int64{chg[0].ID}); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, []store.OutboxItem{{Key: "k-" + name, Channel: "c", Kind: "opened", IncidentID: inc.ID,
			CreatedAt: T0, NotBefore: T0}}); err != nil {
			return err
		}
		return tx.AppendEvents(ctx, []store.Event{
			{IncidentID: inc.ID, At: T0, Kind: store.EventOpened, Actor: store.SystemActor},
			{IncidentID: inc.ID, At: closed, Kind: store.EventTransition, Actor: "alice", From: "resolved", To: "closed"},
		})
	})
	return *inc
}

func testPruneIncidents(t *testing.T, open Opener) {
	s := open(t, time.Now)
	old := closedIncident(t, s, "old", T0.Add(time.Hour))
	recent := closedIncident(t, s, "recent", T0.Add(48*time.Hour))
	n, err := s.PruneIncidents(ctx(t), T0.Add(24*time.Hour), 100)
	if err != nil || n != 1 {
		t.Fatalf("PruneIncidents = %d, %v; want 1 (the one closed before the cutoff)", n, err)
	}
	if _, err := s.Incident(ctx(t), old.ID); err == nil {
		t.Fatal("the old closed incident survived retention")
	}
	if tl, err := s.Timeline(ctx(t), old.ID); err != nil || len(tl) != 0 {
		t.Fatalf("the old incident's timeline: %d events (%v), want none", len(tl), err)
	}
	if occs, err := s.Occurrences(ctx(t), old.ID); err != nil || len(occs) != 0 {
		t.Fatalf("the old incident's occurrences: %d (%v), want none", len(occs), err)
	}
	if items, err := s.Outbox(ctx(t), old.ID); err != nil || len(items) != 0 {
		t.Fatalf("the old incident's outbox: %d (%v), want none", len(items), err)
	}
	if tl, err := s.Timeline(ctx(t), recent.ID); err != nil || len(tl) != 2 {
		t.Fatalf("the recent incident's timeline: %d events (%v), want 2", len(tl), err)
	}
	if n, err := s.PruneIncidents(ctx(t), T0.Add(24*time.Hour), 100); err != nil || n != 0 {
		t.Fatalf("second PruneIncidents = %d, %v; want 0", n, err)
	}
	// Retention is the only way an event goes: a kept incident's timeline
	// still refuses deletes and updates.
	for _, q := range []string{"DELETE FROM events", "UPDATE events SET note = 'x'"} {
		err := s.Update(ctx(t), func(ctx context.Context, tx store.Tx) error { return execRaw(ctx, tx, q) })
		if err == nil {
			t.Fatalf("%s on a kept incident's timeline succeeded", q)
		}
	}
}

// execRaw runs a statement on a Tx that can (the sqlstore's).
func execRaw(ctx context.Context, tx store.Tx, q string) error {
	x, ok := tx.(interface {
		Exec(ctx context.Context, q string) error
	})
	if !ok {
		return nil
	}
	return x.Exec(ctx, q)
}

func testPruneBatches(t *testing.T, open Opener) {
	s := open(t, time.Now)
	wh := webhook(t, s, "w")
	var occs []store.Occurrence
	for i := range 5 {
		occs = append(occs, occ(fmt.Sprintf("e%d", i), T0, T0.Add(time.Duration(i+1)*time.Minute)))
	}
	occs = append(occs, occ("firing", T0, time.Time{}))
	chg := upsert(t, s, wh, occs...)
	// e0 belongs to an open incident: kept although it ended long ago.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		inc := newIncident("open", store.P1, store.StateNew, T0)
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		return tx.AttachOccurrences(ctx, inc.ID, []int64{chg[0].ID})
	})
	cutoff := T0.Add(time.Hour)
	total := 0
	for {
		n, err := s.PruneOccurrences(ctx(t), cutoff, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n > 2 {
			t.Fatalf("a batch of limit 2 deleted %d", n)
		}
		total += n
		if n < 2 {
			break
		}
	}
	if total != 4 {
		t.Fatalf("pruned %d occurrences, want 4 (ended, no open incident)", total)
	}
	for fp, want := range map[string]bool{"e0": true, "e1": false, "e4": false, "firing": true} {
		_, err := s.Occurrence(ctx(t), fp, T0)
		if (err == nil) != want {
			t.Errorf("occurrence %s: present=%v, want %v", fp, err == nil, want)
		}
	}
	if n, err := s.PruneWebhooks(ctx(t), T0, 10); err != nil || n != 0 {
		t.Fatalf("PruneWebhooks before T0 = %d, %v; want 0", n, err)
	}
	if n, err := s.PruneWebhooks(ctx(t), T0.Add(time.Nanosecond), 10); err != nil || n != 1 {
		t.Fatalf("PruneWebhooks after T0 = %d, %v; want 1", n, err)
	}
	if _, err := s.Occurrence(ctx(t), "firing", T0); err != nil {
		t.Fatalf("pruning its webhook removed an occurrence: %v", err)
	}
}

// Old gate decisions go, except each gate's newest, which breach streaks
// continue from however old it is.
func testPruneGateDecisions(t *testing.T, open Opener) {
	s := open(t, time.Now)
	ids := map[string][]int64{}
	for i, g := range []string{"a", "a", "a", "b"} {
		d := &store.GateDecision{Gate: g, Decision: "hold", EvaluatedAt: T0.Add(time.Duration(i) * time.Hour), Body: []byte(`{}`)}
		if err := s.InsertGateDecision(ctx(t), d); err != nil {
			t.Fatal(err)
		}
		ids[g] = append(ids[g], d.ID)
	}
	// Everything is older than the cutoff: a's two older decisions go in
	// batches of one; a's newest and b's only one stay.
	for round, want := range []int{1, 1, 0} {
		n, err := s.PruneGateDecisions(ctx(t), T0.Add(48*time.Hour), 1)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("round %d: pruned %d, want %d", round, n, want)
		}
	}
	for _, id := range ids["a"][:2] {
		if _, err := s.GateDecision(ctx(t), id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old decision %d: %v, want ErrNotFound", id, err)
		}
	}
	for _, g := range []string{"a", "b"} {
		latest, err := s.LatestGateDecision(ctx(t), g)
		if err != nil || latest.ID != ids[g][len(ids[g])-1] {
			t.Fatalf("gate %s newest = %+v, %v; want id %d kept", g, latest, err, ids[g][len(ids[g])-1])
		}
	}
}
