// Package storetest is the contract every store.Store implementation must
// pass. Each backend's tests call Run with a function that opens a fresh,
// isolated store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// Opener opens an empty store whose outbox lease clock is now.
type Opener func(t *testing.T, now func() time.Time) store.Store

// Clock is a settable clock for lease tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// T0 is the tests' reference time; nanoseconds check exact round trips.
var T0 = time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.UTC)

// Run runs the contract.
func Run(t *testing.T, open Opener) {
	tests := map[string]func(*testing.T, Opener){
		"WebhookDedupByHash":        testWebhookDedup,
		"OccurrenceUpsert":          testOccurrenceUpsert,
		"IncidentLifecycleStorage":  testIncidentStorage,
		"OneOpenIncidentPerGroup":   testOneOpenIncidentPerGroup,
		"RollbackStoresNothing":     testRollback,
		"ListFilters":               testListFilters,
		"OutboxEnqueueOnce":         testOutboxEnqueueOnce,
		"OutboxClaimLeaseComplete":  testOutboxClaim,
		"OutboxConcurrentClaimants": testOutboxConcurrentClaims,
		"DueBreaches":               testDueBreaches,
		"JobsOrdering":              testJobsOrdering,
		"JobsRenewRelease":          testJobsRenewRelease,
		"JobsOrderedConcurrent":     testJobsOrderedConcurrentClaims,
		"Remediations":              testRemediations,
		"PruneTakesRemediations":    testPruneTakesRemediations,
		"CheckWritable":             testCheckWritable,
		"LockGroupsMany":            testLockGroupsMany,
		"PruneIncidents":            testPruneIncidents,
		"PruneGateDecisions":        testPruneGateDecisions,
		"PruneBatches":              testPruneBatches,
		"GateDecisions":             testGateDecisions,
		"FiringOccurrences":         testFiringOccurrences,
		"Rollouts":                  testRollouts,
		"Readiness":                 testReadiness,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, open) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func update(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.Update(ctx(t), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func webhook(t *testing.T, s store.Store, hash string) int64 {
	t.Helper()
	w := &store.Webhook{Hash: hash, ReceivedAt: T0, Receiver: "golive", GroupKey: "{}:{}", Status: "firing", Body: []byte(`{"x":1}`)}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertWebhook(ctx, w)
		return err
	})
	return w.ID
}

func occ(fp string, starts time.Time, ends time.Time) store.Occurrence {
	return store.Occurrence{Fingerprint: fp, StartsAt: starts, EndsAt: ends, AlertName: "HighCPUUsage",
		Labels: map[string]string{"alertname": "HighCPUUsage", "instance": fp}, Annotations: map[string]string{"value": "97"},
		ReceivedAt: T0}
}

func upsert(t *testing.T, s store.Store, wh int64, occs ...store.Occurrence) []store.OccurrenceChange {
	t.Helper()
	var out []store.OccurrenceChange
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = tx.UpsertOccurrences(ctx, wh, occs)
		return err
	})
	return out
}

func testWebhookDedup(t *testing.T, open Opener) {
	s := open(t, time.Now)
	first := webhook(t, s, "aa")
	var dup bool
	w := &store.Webhook{Hash: "aa", ReceivedAt: T0, Body: []byte("{}")}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		dup, err = tx.InsertWebhook(ctx, w)
		return err
	})
	if !dup || w.ID != first {
		t.Fatalf("second insert of the same hash: duplicate=%v id=%d, want true and %d", dup, w.ID, first)
	}
	if other := webhook(t, s, "bb"); other == first {
		t.Fatalf("a different hash reused id %d", first)
	}
}

func testOccurrenceUpsert(t *testing.T, open Opener) {
	s := open(t, time.Now)
	wh := webhook(t, s, "h1")
	a, b := occ("fa", T0, time.Time{}), occ("fb", T0, time.Time{})
	got := upsert(t, s, wh, a, b)
	if len(got) != 2 || !got[0].Inserted || !got[1].Inserted || got[0].Fingerprint != "fa" {
		t.Fatalf("first upsert: %+v, want two inserts in input order", got)
	}
	// Attach them, as the engine does in the same transaction.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		inc := &store.Incident{GroupKey: "g", State: store.StateNew, Priority: store.P3, Cycle: 1, OpenedAt: T0, UpdatedAt: T0}
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		return tx.AttachOccurrences(ctx, inc.ID, []int64{got[0].ID, got[1].ID})
	})
	if again := upsert(t, s, wh, a, b); len(again) != 0 {
		t.Fatalf("replay changed %d occurrences, want none: %+v", len(again), again)
	}
	ended := T0.Add(5 * time.Minute)
	res := upsert(t, s, wh, occ("fa", T0, ended))
	if len(res) != 1 || res[0].Inserted || !res[0].EndsAt.Equal(ended) || res[0].IncidentID == 0 {
		t.Fatalf("resolve: %+v, want one resolved change attached to the incident", res)
	}
	if again := upsert(t, s, wh, occ("fa", T0, ended.Add(time.Minute)), a); len(again) != 0 {
		t.Fatalf("late resolve and late firing after resolve changed %+v, want nothing", again)
	}
	stored, err := s.Occurrence(ctx(t), "fa", T0)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.EndsAt.Equal(ended) || !stored.StartsAt.Equal(T0) || stored.Labels["instance"] != "fa" || stored.Annotations["value"] != "97" {
		t.Fatalf("stored occurrence %+v lost data (want exact nanosecond times and labels)", stored)
	}
	// The same alert firing again later is a new occurrence.
	if res := upsert(t, s, wh, occ("fa", T0.Add(time.Hour), time.Time{})); len(res) != 1 || !res[0].Inserted {
		t.Fatalf("new startsAt: %+v, want an insert", res)
	}
	// Resolved before we ever saw it firing: inserted already ended.
	if res := upsert(t, s, wh, occ("fc", T0, ended)); len(res) != 1 || !res[0].Inserted || res[0].Firing() {
		t.Fatalf("resolved-first: %+v, want an ended insert", res)
	}
	if _, err := s.Occurrence(ctx(t), "nope", T0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing occurrence: err = %v, want ErrNotFound", err)
	}
}

func newIncident(group string, p store.Priority, st store.State, opened time.Time) *store.Incident {
	return &store.Incident{GroupKey: group, Title: group, Service: "web", Labels: map[string]string{"service": "web"},
		State: st, Priority: p, GradeReason: store.GradeReason{Rule: "r", Matched: map[string]string{"value": "97"}},
		Cycle: 1, OpenedAt: opened, UpdatedAt: opened, ResponseDue: opened.Add(15 * time.Minute), ResolutionDue: opened.Add(4 * time.Hour)}
}

func testIncidentStorage(t *testing.T, open Opener) {
	s := open(t, time.Now)
	wh := webhook(t, s, "h")
	chg := upsert(t, s, wh, occ("f1", T0, time.Time{}), occ("f2", T0, time.Time{}))
	inc := newIncident("alertname=X", store.P1, store.StateNew, T0)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.LockGroups(ctx, []string{inc.GroupKey}); err != nil {
			return err
		}
		if _, found, err := tx.LatestIncident(ctx, inc.GroupKey); err != nil || found {
			return fmt.Errorf("LatestIncident on empty group: found=%v err=%w", found, err)
		}
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		if err := tx.AttachOccurrences(ctx, inc.ID, []int64{chg[0].ID, chg[1].ID}); err != nil {
			return err
		}
		return tx.AppendEvents(ctx, []store.Event{
			{IncidentID: inc.ID, At: T0, Kind: store.EventOpened, Actor: store.SystemActor},
			{IncidentID: inc.ID, At: T0, Kind: store.EventGraded, Actor: store.SystemActor, To: "P1", Data: map[string]any{"rule": "r"}},
		})
	})
	if inc.ID == 0 {
		t.Fatal("CreateIncident did not set the id")
	}
	upsert(t, s, wh, occ("f1", T0, T0.Add(time.Minute)))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		got, found, err := tx.LatestIncident(ctx, inc.GroupKey)
		if err != nil || !found || got.ID != inc.ID {
			return fmt.Errorf("LatestIncident = %d found=%v err=%w, want %d", got.ID, found, err, inc.ID)
		}
		n, err := tx.CountFiring(ctx, inc.ID)
		if err != nil || n != 1 {
			return fmt.Errorf("CountFiring = %d (%w), want 1", n, err)
		}
		got.State, got.AcknowledgedAt, got.Assignee = store.StateAcknowledged, T0.Add(time.Minute), "alice"
		return tx.UpdateIncident(ctx, got)
	})
	got, err := s.Incident(ctx(t), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.StateAcknowledged || got.Assignee != "alice" || !got.AcknowledgedAt.Equal(T0.Add(time.Minute)) ||
		!got.ResponseDue.Equal(T0.Add(15*time.Minute)) || got.GradeReason.Matched["value"] != "97" || got.Labels["service"] != "web" {
		t.Fatalf("incident round trip: %+v", got)
	}
	evs, err := s.Timeline(ctx(t), inc.ID)
	if err != nil || len(evs) != 2 || evs[0].Kind != store.EventOpened || evs[1].Data["rule"] != "r" {
		t.Fatalf("timeline = %+v (%v), want opened then graded with data", evs, err)
	}
	occs, err := s.Occurrences(ctx(t), inc.ID)
	if err != nil || len(occs) != 2 {
		t.Fatalf("occurrences = %d (%v), want 2", len(occs), err)
	}
	if _, err := s.Incident(ctx(t), inc.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing incident: %v, want ErrNotFound", err)
	}
	err = s.Update(ctx(t), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.IncidentForUpdate(ctx, inc.ID+100)
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("IncidentForUpdate of a missing id: %v, want ErrNotFound", err)
	}
}

func testOneOpenIncidentPerGroup(t *testing.T, open Opener) {
	s := open(t, time.Now)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateIncident(ctx, newIncident("g", store.P2, store.StateNew, T0))
	})
	err := s.Update(ctx(t), func(ctx context.Context, tx store.Tx) error {
		return tx.CreateIncident(ctx, newIncident("g", store.P2, store.StateAcknowledged, T0))
	})
	if err == nil {
		t.Fatal("a second open incident for the same group was accepted")
	}
	// Resolved and closed ones may coexist with an open one.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateIncident(ctx, newIncident("g", store.P2, store.StateResolved, T0)); err != nil {
			return err
		}
		return tx.CreateIncident(ctx, newIncident("g", store.P2, store.StateClosed, T0))
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		got, found, err := tx.LatestIncident(ctx, "g")
		if err != nil || !found || got.State != store.StateResolved {
			return fmt.Errorf("LatestIncident = %+v found=%v err=%w, want the newest non-closed (resolved)", got, found, err)
		}
		return nil
	})
}

func testRollback(t *testing.T, open Opener) {
	s := open(t, time.Now)
	boom := errors.New("boom")
	err := s.Update(ctx(t), func(ctx context.Context, tx store.Tx) error {
		w := &store.Webhook{Hash: "r", ReceivedAt: T0, Body: []byte("{}")}
		if _, err := tx.InsertWebhook(ctx, w); err != nil {
			return err
		}
		if _, err := tx.UpsertOccurrences(ctx, w.ID, []store.Occurrence{occ("fr", T0, time.Time{})}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the callback's error", err)
	}
	if _, err := s.Occurrence(ctx(t), "fr", T0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back occurrence is visible: %v", err)
	}
}

func testListFilters(t *testing.T, open Opener) {
	s := open(t, time.Now)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for i, c := range []struct {
			p  store.Priority
			st store.State
			sv string
		}{{store.P0, store.StateNew, "web"}, {store.P1, store.StateResolved, "db"}, {store.P0, store.StateAcknowledged, "db"}, {store.P3, store.StateClosed, "web"}} {
			inc := newIncident(fmt.Sprintf("g%d", i), c.p, c.st, T0.Add(time.Duration(i)*time.Hour))
			inc.Service = c.sv
			if err := tx.CreateIncident(ctx, inc); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		name string
		f    store.IncidentFilter
		want []string
	}{
		{"all newest first", store.IncidentFilter{}, []string{"g3", "g2", "g1", "g0"}},
		{"state", store.IncidentFilter{States: []store.State{store.StateNew, store.StateAcknowledged}}, []string{"g2", "g0"}},
		{"priority", store.IncidentFilter{Priorities: []store.Priority{store.P0}}, []string{"g2", "g0"}},
		{"service", store.IncidentFilter{Service: "db"}, []string{"g2", "g1"}},
		{"time range", store.IncidentFilter{OpenedAfter: T0.Add(time.Hour), OpenedBefore: T0.Add(3 * time.Hour)}, []string{"g2", "g1"}},
		{"limit", store.IncidentFilter{Limit: 1}, []string{"g3"}},
	}
	for _, c := range cases {
		got, err := s.ListIncidents(ctx(t), c.f)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, inc := range got {
			keys = append(keys, inc.GroupKey)
		}
		if fmt.Sprint(keys) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, keys, c.want)
		}
	}
	st, err := s.Stats(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.OpenIncidents[store.P0] != 2 || st.OpenIncidents[store.P1] != 0 || st.OpenIncidents[store.P3] != 0 {
		t.Fatalf("open incidents by priority = %v, want P0:2 only", st.OpenIncidents)
	}
}

func item(key string, inc int64, notBefore time.Time) store.OutboxItem {
	return store.OutboxItem{Key: key, Channel: "slack", Kind: "opened", IncidentID: inc, Payload: []byte(`{"k":"` + key + `"}`),
		CreatedAt: T0, NotBefore: notBefore}
}

func enqueue(t *testing.T, s store.Store, items ...store.OutboxItem) int {
	t.Helper()
	var n int
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.Enqueue(ctx, items)
		return err
	})
	return n
}

func testOutboxEnqueueOnce(t *testing.T, open Opener) {
	s := open(t, time.Now)
	if n := enqueue(t, s, item("a", 1, T0), item("b", 1, T0)); n != 2 {
		t.Fatalf("enqueued %d, want 2", n)
	}
	if n := enqueue(t, s, item("a", 1, T0), item("c", 2, T0)); n != 1 {
		t.Fatalf("re-enqueue of a known key: %d new, want 1", n)
	}
	all, err := s.Outbox(ctx(t), 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("outbox has %d items (%v), want 3", len(all), err)
	}
	one, err := s.Outbox(ctx(t), 2)
	if err != nil || len(one) != 1 || one[0].Key != "c" || string(one[0].Payload) != `{"k":"c"}` {
		t.Fatalf("outbox of incident 2 = %+v (%v)", one, err)
	}
	st, err := s.Stats(ctx(t))
	if err != nil || st.OutboxDepth != 3 {
		t.Fatalf("outbox depth = %d (%v), want 3", st.OutboxDepth, err)
	}
}

func testOutboxClaim(t *testing.T, open Opener) {
	clock := &Clock{t: T0}
	s := open(t, clock.Now)
	c := ctx(t)
	enqueue(t, s, item("now", 1, T0), item("later", 1, T0.Add(time.Hour)))
	got, err := s.ClaimOutbox(c, "w1", 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].Key != "now" || got[0].Attempts != 1 || got[0].ClaimedBy != "w1" {
		t.Fatalf("claim = %+v (%v), want only the due item, attempt 1", got, err)
	}
	if again, _ := s.ClaimOutbox(c, "w2", 10, time.Minute); len(again) != 0 {
		t.Fatalf("an item under a live lease was claimed again: %+v", again)
	}
	clock.Add(2 * time.Minute) // w1's lease expires: w2 may take over.
	stolen, err := s.ClaimOutbox(c, "w2", 10, time.Minute)
	if err != nil || len(stolen) != 1 || stolen[0].Attempts != 2 {
		t.Fatalf("claim after lease expiry = %+v (%v)", stolen, err)
	}
	if err := s.CompleteOutbox(c, got[0].ID, "w1"); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("complete by the old owner: %v, want ErrLeaseLost", err)
	}
	if err := s.RetryOutbox(c, stolen[0].ID, "w2", clock.Now().Add(10*time.Minute), "503 from slack", false); err != nil {
		t.Fatal(err)
	}
	if none, _ := s.ClaimOutbox(c, "w3", 10, time.Minute); len(none) != 0 {
		t.Fatalf("claimed before the retry time: %+v", none)
	}
	clock.Add(2 * time.Hour)
	both, err := s.ClaimOutbox(c, "w3", 10, time.Minute)
	if err != nil || len(both) != 2 || both[0].Key != "now" || both[0].LastError != "503 from slack" {
		t.Fatalf("claim after retry time = %+v (%v), want both, oldest first", both, err)
	}
	if err := s.CompleteOutbox(c, both[0].ID, "w3"); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryOutbox(c, both[1].ID, "w3", clock.Now(), "400 bad request", true); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteOutbox(c, both[0].ID, "w3"); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("completing twice: %v, want ErrLeaseLost", err)
	}
	items, _ := s.Outbox(c, 0)
	if items[0].DoneAt.IsZero() || items[0].Failed || items[1].DoneAt.IsZero() || !items[1].Failed {
		t.Fatalf("final items = %+v, want first delivered, second failed", items)
	}
	if st, _ := s.Stats(c); st.OutboxDepth != 0 {
		t.Fatalf("outbox depth = %d after everything is done", st.OutboxDepth)
	}
}

func testOutboxConcurrentClaims(t *testing.T, open Opener) {
	s := open(t, time.Now)
	var items []store.OutboxItem
	for i := range 60 {
		items = append(items, item(fmt.Sprint("k", i), 1, T0))
	}
	enqueue(t, s, items...)
	var (
		mu   sync.Mutex
		seen = map[int64]string{}
		wg   sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			owner := fmt.Sprint("w", w)
			for {
				got, err := s.ClaimOutbox(context.Background(), owner, 5, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, it := range got {
					if prev, dup := seen[it.ID]; dup {
						t.Errorf("item %d claimed by %s and %s", it.ID, prev, owner)
					}
					seen[it.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Fatalf("%d items claimed, want 60", len(seen))
	}
}

func testDueBreaches(t *testing.T, open Opener) {
	s := open(t, time.Now)
	acked := newIncident("acked", store.P0, store.StateAcknowledged, T0)
	fresh := newIncident("fresh", store.P0, store.StateNew, T0)
	done := newIncident("done", store.P0, store.StateResolved, T0)
	marked := newIncident("marked", store.P0, store.StateNew, T0)
	marked.ResponseBreachedAt = T0.Add(16 * time.Minute)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, inc := range []*store.Incident{acked, fresh, done, marked} {
			if err := tx.CreateIncident(ctx, inc); err != nil {
				return err
			}
		}
		return nil
	})
	due := func(at time.Time) (keys []string) {
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			incs, err := tx.DueBreaches(ctx, at, 10)
			for _, inc := range incs {
				keys = append(keys, inc.GroupKey)
			}
			return err
		})
		return keys
	}
	if got := due(T0.Add(10 * time.Minute)); len(got) != 0 {
		t.Fatalf("before any deadline: %v", got)
	}
	if got := fmt.Sprint(due(T0.Add(20 * time.Minute))); got != "[fresh]" {
		t.Fatalf("after the response deadline: %s, want [fresh] (acked met it, marked is already breached)", got)
	}
	if got := fmt.Sprint(due(T0.Add(5 * time.Hour))); got != "[acked fresh marked]" {
		t.Fatalf("after the resolution deadline: %s, want every open incident", got)
	}
}
