package notify

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/golive-ops/golive/receiver/store"
)

// fakeQueue is an in-memory outbox with the store's claim semantics.
type fakeQueue struct {
	mu       sync.Mutex
	items    []*store.OutboxItem
	retries  []retryCall
	events   []store.Event
	complete []int64
	released []int64
	claims   int
}

type retryCall struct {
	id        int64
	notBefore time.Time
	giveUp    bool
}

func (q *fakeQueue) RenewJob(context.Context, int64, string, time.Duration) error { return nil }

func (q *fakeQueue) ReleaseJob(_ context.Context, id int64, _ string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.released = append(q.released, id)
	return nil
}

func (q *fakeQueue) ClaimJobs(_ context.Context, _, owner string, limit int, _ time.Duration) ([]store.OutboxItem, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.claims++
	var out []store.OutboxItem
	for _, it := range q.items {
		if it.ClaimedBy == "" && it.DoneAt.IsZero() && len(out) < limit {
			it.ClaimedBy = owner
			it.Attempts++
			out = append(out, *it)
		}
	}
	return out, nil
}

func (q *fakeQueue) CompleteOutbox(_ context.Context, id int64, owner string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.complete = append(q.complete, id)
	for _, it := range q.items {
		if it.ID == id {
			it.DoneAt = time.Now()
		}
	}
	return nil
}

func (q *fakeQueue) RetryOutbox(_ context.Context, id int64, owner string, nb time.Time, lastErr string, giveUp bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.retries = append(q.retries, retryCall{id, nb, giveUp})
	return nil
}

type fakeTx struct {
	store.Tx
	q *fakeQueue
}

func (t fakeTx) AppendEvents(_ context.Context, evs []store.Event) error {
	t.q.mu.Lock()
	defer t.q.mu.Unlock()
	t.q.events = append(t.q.events, evs...)
	return nil
}

func (q *fakeQueue) Update(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	return fn(ctx, fakeTx{q: q})
}

type scriptedSender struct {
	retry bool
	err   error
	got   []Message
}

func (s *scriptedSender) Send(_ context.Context, m Message) (bool, error) {
	s.got = append(s.got, m)
	return s.retry, s.err
}

func item(id int64, channel string, attempts int) *store.OutboxItem {
	payload, _ := json.Marshal(testMsg)
	return &store.OutboxItem{ID: id, Key: "k" + string(rune('0'+id)), Channel: channel, Kind: "opened", IncidentID: 17, Payload: payload, Attempts: attempts}
}

func TestWorkerOutcomes(t *testing.T) {
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		sender     *scriptedSender
		channel    string
		attempts   int // before this claim
		wantResult string
		wantGiveUp bool
		wantRetry  bool
		wantEvent  store.EventKind
	}{
		{"delivered", &scriptedSender{}, "ops", 0, "sent", false, false, EventNotificationSent},
		{"transient", &scriptedSender{retry: true, err: errors.New("503")}, "ops", 0, "retry", false, true, ""},
		{"budget spent", &scriptedSender{retry: true, err: errors.New("503")}, "ops", 9, "failed", true, true, EventNotificationFailed},
		{"permanent", &scriptedSender{retry: false, err: errors.New("400")}, "ops", 0, "failed", true, true, EventNotificationFailed},
		{"unknown channel", &scriptedSender{}, "gone", 0, "failed", true, true, EventNotificationFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := &fakeQueue{items: []*store.OutboxItem{item(1, c.channel, c.attempts)}}
			results := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "n"}, []string{"channel", "result"})
			w := NewWorker(q, map[string]Channel{"ops": {Name: "ops", Sender: c.sender}}, WorkerOptions{
				Owner: "me", Results: results, Now: func() time.Time { return now }, MaxAttempts: 10,
			})
			n, err := w.RunOnce(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("RunOnce = %d, %v", n, err)
			}
			if got := testutil.ToFloat64(results.WithLabelValues(c.channel, c.wantResult)); got != 1 {
				t.Errorf("result %s counted %v times", c.wantResult, got)
			}
			if c.wantRetry != (len(q.retries) == 1) || (c.wantRetry && q.retries[0].giveUp != c.wantGiveUp) {
				t.Errorf("retries = %+v, want retry=%v giveUp=%v", q.retries, c.wantRetry, c.wantGiveUp)
			}
			if c.wantResult == "retry" && !q.retries[0].notBefore.After(now) {
				t.Errorf("retry not scheduled in the future: %v", q.retries[0].notBefore)
			}
			if c.wantResult == "sent" && len(q.complete) != 1 {
				t.Errorf("completed %v", q.complete)
			}
			if c.wantEvent == "" && len(q.events) != 0 || c.wantEvent != "" && (len(q.events) != 1 || q.events[0].Kind != c.wantEvent) {
				t.Errorf("events = %+v, want %q", q.events, c.wantEvent)
			}
			if c.channel == "ops" && (len(c.sender.got) != 1 || c.sender.got[0].Key != "k1" || c.sender.got[0].IncidentID != "17") {
				t.Errorf("sender got %+v", c.sender.got)
			}
		})
	}
}

func TestRunStopsWithContextAndWakesOnKick(t *testing.T) {
	q := &fakeQueue{}
	s := &scriptedSender{}
	w := NewWorker(q, map[string]Channel{"ops": {Sender: s}}, WorkerOptions{Owner: "w1", Poll: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			q.mu.Lock()
			ok := cond()
			q.mu.Unlock()
			if ok {
				return
			}
			select {
			case <-deadline:
				t.Fatal(what)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	// Only after the first, empty claim: then the hour-long poll cannot be
	// what delivers the item, the kick must.
	waitFor("the worker never claimed", func() bool { return q.claims > 0 })
	q.mu.Lock()
	q.items = append(q.items, item(1, "ops", 0))
	q.mu.Unlock()
	w.Kick()
	waitFor("kick did not wake the worker", func() bool { return len(q.complete) == 1 })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// blockingSender stands for an endpoint that accepts and never answers.
type blockingSender struct{}

func (blockingSender) Send(ctx context.Context, _ Message) (bool, error) {
	<-ctx.Done()
	return true, ctx.Err()
}

// A send to an endpoint that never answers ends with SendTimeout and is
// retried: renewal must not keep a hung send's lease alive forever.
func TestSendEndsWithItsTimeout(t *testing.T) {
	q := &fakeQueue{items: []*store.OutboxItem{item(1, "ops", 0)}}
	w := NewWorker(q, map[string]Channel{"ops": {Sender: blockingSender{}}}, WorkerOptions{Owner: "w1", SendTimeout: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := w.RunOnce(context.Background()); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a send to a silent endpoint outlived its timeout")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.retries) != 1 || q.retries[0].giveUp {
		t.Fatalf("retries = %+v, want one scheduled retry", q.retries)
	}
}

// SIGTERM mid-send: the send is cancelled and its item handed back with a
// context that is still alive (the worker's own is cancelled), so the
// next process sends it at once instead of after a lease.
func TestShutdownMidSendReleasesTheItem(t *testing.T) {
	q := &fakeQueue{items: []*store.OutboxItem{item(1, "ops", 0)}}
	results := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "n"}, []string{"channel", "result"})
	w := NewWorker(q, map[string]Channel{"ops": {Sender: blockingSender{}}}, WorkerOptions{Owner: "w1", Results: results})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for q.claimCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.released) != 1 || len(q.retries) != 0 {
		t.Fatalf("released %v, retries %+v: want the item released, not retried", q.released, q.retries)
	}
	if n := testutil.CollectAndCount(results); n != 0 {
		t.Fatalf("%d results counted for a released item", n)
	}
}

func (q *fakeQueue) claimCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.claims
}
