package jobs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/jobs"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/storetest"
)

func enqueue(t *testing.T, s store.Store, items ...store.OutboxItem) {
	t.Helper()
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Enqueue(ctx, items)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func job(key, order string) store.OutboxItem {
	now := time.Now()
	return store.OutboxItem{Key: key, Channel: "ops", Kind: "opened", Payload: []byte("{}"), CreatedAt: now, NotBefore: now,
		OrderingKey: order}
}

func eachBackend(t *testing.T, fn func(t *testing.T, s store.Store)) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// SIGTERM mid-work: the handler is cancelled and the row handed back at
// once, its attempt not counted. Before, the result was recorded with the
// already cancelled context and the row stayed leased for two minutes.
func TestShutdownReleasesItsLeases(t *testing.T) {
	eachBackend(t, func(t *testing.T, s store.Store) {
		enqueue(t, s, job("page", ""))
		var started atomic.Bool
		w := jobs.New(s, jobs.HandlerFunc(func(ctx context.Context, _ store.OutboxItem) (bool, error) {
			started.Store(true)
			<-ctx.Done()
			return true, ctx.Err()
		}), jobs.Options{Queue: store.QueueNotify, Owner: "old", Lease: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		waitFor(t, "the handler never started", started.Load)
		cancel()
		<-done
		got, err := s.ClaimJobs(context.Background(), store.QueueNotify, "new", 10, time.Minute)
		if err != nil || len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("claim right after the shutdown = %+v (%v), want the row, attempt 1", got, err)
		}
	})
}

// kill -9 mid-work, at the store level: a claim by an owner that never
// renews nor finishes. A live worker takes the row over once the short
// lease ends, while a worker that is alive keeps its row however long the
// work takes, because it renews.
func TestCrashDelaysByOneShortLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, s store.Store) {
		const lease = 600 * time.Millisecond
		enqueue(t, s, job("orphan", ""), job("long", ""))
		dead, err := s.ClaimJobs(context.Background(), store.QueueNotify, "killed", 1, lease)
		if err != nil || len(dead) != 1 || dead[0].Key != "orphan" {
			t.Fatalf("crash claim = %+v (%v)", dead, err)
		}
		crashedAt := time.Now()
		var (
			mu   sync.Mutex
			runs = map[string][]string{}
			took = map[string]time.Duration{}
		)
		handler := func(owner string) jobs.Handler {
			return jobs.HandlerFunc(func(ctx context.Context, it store.OutboxItem) (bool, error) {
				mu.Lock()
				runs[it.Key] = append(runs[it.Key], owner)
				took[it.Key] = time.Since(crashedAt)
				mu.Unlock()
				if it.Key == "long" {
					select { // several leases long
					case <-time.After(4 * lease):
					case <-ctx.Done():
						return true, ctx.Err()
					}
				}
				return false, nil
			})
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, owner := range []string{"a", "b"} {
			w := jobs.New(s, handler(owner), jobs.Options{Queue: store.QueueNotify, Owner: owner, Lease: lease, Poll: 50 * time.Millisecond})
			wg.Go(func() { w.Run(ctx) })
		}
		waitFor(t, "the orphaned row was never taken over", func() bool {
			items, _ := s.Outbox(context.Background(), 0)
			return len(items) == 2 && !items[0].DoneAt.IsZero() && !items[1].DoneAt.IsZero()
		})
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if d := took["orphan"]; d < lease || d > lease+3*time.Second {
			t.Errorf("the orphaned row ran %v after the crash, want within a lease (%v) and a poll", d, lease)
		}
		if len(runs["long"]) != 1 || len(runs["orphan"]) != 1 {
			t.Errorf("runs = %v, want each row once: a renewed lease is never taken over", runs)
		}
	})
}

// One ordering key's rows run one at a time in enqueue order across two
// workers with parallel handlers; keys run concurrently.
func TestOrderingUnderConcurrency(t *testing.T) {
	eachBackend(t, func(t *testing.T, s store.Store) {
		const incidents, perIncident = 6, 4
		var items []store.OutboxItem
		for e := range perIncident {
			for i := range incidents {
				items = append(items, job(fmt.Sprintf("inc%d/e%d", i, e), fmt.Sprintf("incident/%d/ops", i)))
			}
		}
		enqueue(t, s, items...)
		var (
			mu       sync.Mutex
			order    = map[string][]string{}
			inFlight = map[string]int{}
			maxPar   int
			running  int
			total    int
		)
		h := jobs.HandlerFunc(func(ctx context.Context, it store.OutboxItem) (bool, error) {
			mu.Lock()
			inFlight[it.OrderingKey]++
			running++
			maxPar = max(maxPar, running)
			if inFlight[it.OrderingKey] > 1 {
				t.Errorf("%s runs while another row of %s does", it.Key, it.OrderingKey)
			}
			mu.Unlock()
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			mu.Lock()
			inFlight[it.OrderingKey]--
			running--
			order[it.OrderingKey] = append(order[it.OrderingKey], it.Key)
			total++
			mu.Unlock()
			return false, nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, owner := range []string{"a", "b"} {
			w := jobs.New(s, h, jobs.Options{Queue: store.QueueNotify, Owner: owner, Parallel: 4, Poll: 10 * time.Millisecond})
			wg.Go(func() { w.Run(ctx) })
		}
		waitFor(t, "not every row ran", func() bool { mu.Lock(); defer mu.Unlock(); return total == len(items) })
		cancel()
		wg.Wait()
		for i := range incidents {
			key := fmt.Sprintf("incident/%d/ops", i)
			want := fmt.Sprintf("[inc%d/e0 inc%d/e1 inc%d/e2 inc%d/e3]", i, i, i, i)
			if got := fmt.Sprint(order[key]); got != want {
				t.Errorf("%s ran %s, want %s", key, got, want)
			}
		}
		if maxPar < 2 {
			t.Errorf("at most %d rows ran at once: incidents should run in parallel", maxPar)
		}
	})
}

// Outcomes: success completes, a retryable failure is scheduled with
// backoff, a permanent one or the last attempt gives up.
func TestOutcomes(t *testing.T) {
	eachBackend(t, func(t *testing.T, s store.Store) {
		enqueue(t, s, job("ok", ""), job("transient", ""), job("permanent", ""))
		got := map[string]jobs.Result{}
		w := jobs.New(s, jobs.HandlerFunc(func(_ context.Context, it store.OutboxItem) (bool, error) {
			switch it.Key {
			case "transient":
				return true, fmt.Errorf("503")
			case "permanent":
				return false, fmt.Errorf("400")
			}
			return false, nil
		}), jobs.Options{Queue: store.QueueNotify, Owner: "w", BackoffBase: time.Hour, BackoffMax: 2 * time.Hour,
			OnResult: func(_ context.Context, it store.OutboxItem, r jobs.Result) { got[it.Key] = r }})
		if n, err := w.RunOnce(context.Background()); n != 3 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if got["ok"].Outcome != jobs.Done || got["transient"].Outcome != jobs.Retry || got["permanent"].Outcome != jobs.GaveUp {
			t.Fatalf("outcomes = %+v", got)
		}
		if d := time.Until(got["transient"].Next); d < 50*time.Minute || d > 70*time.Minute {
			t.Errorf("retry in %v, want an hour ±10%%", d)
		}
		items, _ := s.Outbox(context.Background(), 0)
		if items[0].DoneAt.IsZero() || items[0].Failed || !items[1].DoneAt.IsZero() || items[1].LastError != "503" || !items[2].Failed {
			t.Errorf("rows = %+v", items)
		}
	})
}

// Rows claimed in one batch wait for a parallel slot under a renewed
// lease: a second worker never takes over a row that is only queued.
func TestQueuedRowsKeepTheirLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, s store.Store) {
		const lease = 300 * time.Millisecond
		enqueue(t, s, job("a", ""), job("b", ""), job("c", ""))
		var (
			mu   sync.Mutex
			runs = map[string]int{}
		)
		h := jobs.HandlerFunc(func(ctx context.Context, it store.OutboxItem) (bool, error) {
			mu.Lock()
			runs[it.Key]++
			mu.Unlock()
			time.Sleep(lease + 100*time.Millisecond)
			return false, nil
		})
		// While slow works its batch one by one, a second worker polls.
		other := jobs.New(s, h, jobs.Options{Queue: store.QueueNotify, Owner: "other", Lease: lease, Poll: 20 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		defer func() { cancel(); <-done }()
		go func() { defer close(done); time.Sleep(50 * time.Millisecond); other.Run(ctx) }()
		slow := jobs.New(s, h, jobs.Options{Queue: store.QueueNotify, Owner: "slow", Parallel: 1, Batch: 3, Lease: lease})
		if n, err := slow.RunOnce(context.Background()); n != 3 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, k := range []string{"a", "b", "c"} {
			if runs[k] != 1 {
				t.Errorf("%s ran %d times", k, runs[k])
			}
		}
	})
}
