package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

func ordered(key string, inc int64, order string) store.OutboxItem {
	it := item(key, inc, T0)
	it.OrderingKey = order
	return it
}

// One ordering key's items are claimed one at a time, oldest first, and
// an item waiting for a retry holds the younger ones back; other keys run
// alongside.
func testJobsOrdering(t *testing.T, open Opener) {
	clock := &Clock{t: T0}
	s := open(t, clock.Now)
	c := ctx(t)
	enqueue(t, s, ordered("opened", 1, "incident/1/slack"), ordered("resolved", 1, "incident/1/slack"),
		ordered("other", 2, "incident/2/slack"), item("free", 3, T0))
	got, err := s.ClaimJobs(c, store.QueueNotify, "w1", 10, time.Minute)
	if err != nil || fmt.Sprint(keys(got)) != "[opened other free]" {
		t.Fatalf("first claim = %v (%v), want [opened other free]: the resolve waits for the open", keys(got), err)
	}
	if err := s.RetryOutbox(c, got[0].ID, "w1", clock.Now().Add(time.Minute), "503", false); err != nil {
		t.Fatal(err)
	}
	for _, it := range got[1:] {
		if err := s.CompleteOutbox(c, it.ID, "w1"); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := s.ClaimJobs(c, store.QueueNotify, "w2", 10, time.Minute); len(again) != 0 {
		t.Fatalf("claimed %v while the older item of its key waits for a retry", keys(again))
	}
	clock.Add(2 * time.Minute)
	retried, _ := s.ClaimJobs(c, store.QueueNotify, "w2", 10, time.Minute)
	if fmt.Sprint(keys(retried)) != "[opened]" {
		t.Fatalf("after the retry time: %v, want [opened] alone", keys(retried))
	}
	if err := s.CompleteOutbox(c, retried[0].ID, "w2"); err != nil {
		t.Fatal(err)
	}
	next, _ := s.ClaimJobs(c, store.QueueNotify, "w2", 10, time.Minute)
	if fmt.Sprint(keys(next)) != "[resolved]" {
		t.Fatalf("after the open is delivered: %v, want [resolved]", keys(next))
	}
}

func keys(items []store.OutboxItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Key
	}
	return out
}

// Queues are separate, renewal keeps a lease alive past its first term,
// and a released item is claimable at once without losing an attempt.
func testJobsRenewRelease(t *testing.T, open Opener) {
	clock := &Clock{t: T0}
	s := open(t, clock.Now)
	c := ctx(t)
	job := item("remediation/1", 1, T0)
	job.Queue = store.QueueRemediate
	enqueue(t, s, item("note", 1, T0), job)
	got, err := s.ClaimJobs(c, store.QueueRemediate, "w1", 10, 10*time.Second)
	if err != nil || fmt.Sprint(keys(got)) != "[remediation/1]" || got[0].Queue != store.QueueRemediate {
		t.Fatalf("claim of the remediate queue = %+v (%v)", got, err)
	}
	for range 3 { // 24s of work under a 10s lease, renewed every 8s
		clock.Add(8 * time.Second)
		if err := s.RenewJob(c, got[0].ID, "w1", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if stolen, _ := s.ClaimJobs(c, store.QueueRemediate, "w2", 10, 10*time.Second); len(stolen) != 0 {
			t.Fatalf("a renewed lease was taken over at %s", clock.Now().Sub(T0))
		}
	}
	if err := s.ReleaseJob(c, got[0].ID, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RenewJob(c, got[0].ID, "w1", time.Second); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("renew after release: %v, want ErrLeaseLost", err)
	}
	again, err := s.ClaimJobs(c, store.QueueRemediate, "w2", 10, 10*time.Second)
	if err != nil || len(again) != 1 || again[0].Attempts != 1 {
		t.Fatalf("claim after release = %+v (%v), want the item at once, still attempt 1", again, err)
	}
	if err := s.ReleaseJob(c, again[0].ID, "w1"); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("release by a former owner: %v, want ErrLeaseLost", err)
	}
}

// Many claimants on ordered items: each key's items are never held by two
// workers at once and complete in enqueue order.
func testJobsOrderedConcurrentClaims(t *testing.T, open Opener) {
	s := open(t, time.Now)
	var items []store.OutboxItem
	for i := range 40 {
		items = append(items, ordered(fmt.Sprint("k", i), int64(i%4), fmt.Sprint("incident/", i%4)))
	}
	enqueue(t, s, items...)
	var (
		mu      sync.Mutex
		busy    = map[string]bool{}
		done    = map[string][]string{}
		wg      sync.WaitGroup
		pending = 40
	)
	for w := range 4 {
		wg.Go(func() {
			owner := fmt.Sprint("w", w)
			for {
				got, err := s.ClaimJobs(context.Background(), store.QueueNotify, owner, 3, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				left := pending
				for _, it := range got {
					if busy[it.OrderingKey] {
						t.Errorf("%s claimed %s while another item of %s is in flight", owner, it.Key, it.OrderingKey)
					}
					busy[it.OrderingKey] = true
				}
				mu.Unlock()
				if len(got) == 0 {
					if left == 0 {
						return
					}
					time.Sleep(time.Millisecond)
					continue
				}
				for _, it := range got {
					mu.Lock()
					busy[it.OrderingKey] = false
					done[it.OrderingKey] = append(done[it.OrderingKey], it.Key)
					pending--
					mu.Unlock()
					if err := s.CompleteOutbox(context.Background(), it.ID, owner); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	for k, got := range done {
		var want []string
		for _, it := range items {
			if it.OrderingKey == k {
				want = append(want, it.Key)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s completed in order %v, want %v", k, got, want)
		}
	}
}

// A remediation is planned once per key; budgets count what ran; the
// kill switch round-trips.
func testRemediations(t *testing.T, open Opener) {
	s := open(t, time.Now)
	c := ctx(t)
	r := store.Remediation{Key: "incident/1/cycle/1/opened/restart", IncidentID: 1, Cycle: 1, Action: "restart", Kind: "exec",
		Target: "web", Trigger: "opened", State: store.RemediationPlanned, Request: json.RawMessage(`{"argv":["x"]}`),
		CreatedAt: T0, UpdatedAt: T0}
	for i, want := range []bool{true, false} {
		cp := r
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			inserted, err := tx.InsertRemediation(ctx, &cp)
			if inserted != want {
				t.Errorf("insert %d: inserted=%v, want %v", i, inserted, want)
			}
			return err
		})
		if i == 0 {
			r.ID = cp.ID
		}
	}
	dry := r
	dry.Key, dry.State, dry.DryRun, dry.CreatedAt = "dry", store.RemediationDryRun, true, T0.Add(time.Minute)
	skipped := r
	skipped.Key, skipped.State, skipped.Target = "skipped", store.RemediationSkipped, "api"
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, x := range []*store.Remediation{&dry, &skipped} {
			if _, err := tx.InsertRemediation(ctx, x); err != nil {
				return err
			}
		}
		count := func(q store.RemediationCount) int {
			n, err := tx.CountRemediations(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(store.RemediationCount{Action: "restart", IncidentID: 1, Cycle: 1}); n != 2 {
			t.Errorf("per incident cycle: %d, want 2 (the skipped row never counts)", n)
		}
		if n := count(store.RemediationCount{Action: "restart", Target: "web", Executed: true}); n != 1 {
			t.Errorf("executed per target: %d, want 1 (dry runs do not count)", n)
		}
		if n := count(store.RemediationCount{Action: "restart", Since: T0.Add(30 * time.Second)}); n != 1 {
			t.Errorf("since 30s: %d, want 1", n)
		}
		got, err := tx.RemediationForUpdate(ctx, r.ID)
		if err != nil {
			return err
		}
		got.State, got.Result, got.Attempts, got.FinishedAt = store.RemediationSucceeded, json.RawMessage(`{"exit":0}`), 1, T0
		if err := tx.UpdateRemediation(ctx, got); err != nil {
			return err
		}
		ctl, err := tx.LockControl(ctx)
		if err != nil || ctl.Paused {
			t.Fatalf("initial control = %+v (%v), want running", ctl, err)
		}
		return tx.SetControl(ctx, store.RemediationControl{Paused: true, Actor: "alice", Note: "maintenance", At: T0})
	})
	got, err := s.Remediation(c, r.ID)
	if err != nil || got.State != store.RemediationSucceeded || string(got.Result) != `{"exit":0}` || string(got.Request) != `{"argv":["x"]}` {
		t.Fatalf("read back %+v (%v)", got, err)
	}
	list, err := s.ListRemediations(c, store.RemediationFilter{State: store.RemediationDryRun})
	if err != nil || len(list) != 1 || list[0].Key != "dry" || !list[0].DryRun {
		t.Fatalf("list dry runs = %+v (%v)", list, err)
	}
	ctl, err := s.Control(c)
	if err != nil || !ctl.Paused || ctl.Actor != "alice" || !ctl.At.Equal(T0) {
		t.Fatalf("control = %+v (%v)", ctl, err)
	}
	if _, err := s.Remediation(c, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing remediation: %v, want ErrNotFound", err)
	}
}

// Retention takes a closed incident's remediation rows with it.
func testPruneTakesRemediations(t *testing.T, open Opener) {
	s := open(t, time.Now)
	inc := newIncident("g", store.P0, store.StateClosed, T0)
	inc.ClosedAt = T0
	r := store.Remediation{Key: "k", Action: "a", Kind: "exec", Target: "t", Trigger: "opened", State: store.RemediationSucceeded,
		Request: json.RawMessage(`{}`), CreatedAt: T0, UpdatedAt: T0}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		r.IncidentID = inc.ID
		_, err := tx.InsertRemediation(ctx, &r)
		return err
	})
	if n, err := s.PruneIncidents(ctx(t), T0.Add(time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v", n, err)
	}
	if _, err := s.Remediation(ctx(t), r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the pruned incident's remediation is still there: %v", err)
	}
}
