// Package jobs is the receiver's one durable job worker. Work is a row in
// the store's job table (store.Jobs), enqueued in the transaction that
// decided it; a Worker claims due rows of one queue under a short lease,
// renews the lease while its Handler runs, and then completes the row,
// schedules a retry with backoff, or gives it up. Notifications are its
// first queue, remediation attempts its second.
//
// Guarantees, for every queue alike:
//   - One worker at a time, across goroutines and replicas, holds a row
//     (the store's claim); a worker that dies frees its rows when the lease
//     ends, which is seconds (Lease, default 15s), because a live worker
//     renews its lease every Lease/3 instead of taking a long one.
//   - A clean shutdown cancels running handlers and hands their rows back
//     at once (ReleaseJob, with a fresh bounded context: the worker's own
//     context is already cancelled), without counting the attempt.
//   - Rows with the same OrderingKey run one at a time in enqueue order
//     (the claim holds younger rows back), so one incident's notifications
//     to one channel arrive in order; different keys run in parallel.
//   - Delivery is at least once: a crash after the work and before the
//     bookkeeping repeats the work. Handlers whose work must not repeat
//     record an attempt before starting it and check that record first
//     (receiver/remediate does).
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// Handler does the work of one claimed row. ctx ends when the worker
// stops or the lease is lost; the handler must honour it. When err is not
// nil, retry says whether another attempt may succeed. Handle may be
// called again for the same row after a crash or a shutdown (at least
// once).
type Handler interface {
	Handle(ctx context.Context, it store.OutboxItem) (retry bool, err error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, it store.OutboxItem) (bool, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, it store.OutboxItem) (bool, error) {
	return f(ctx, it)
}

// Queue is the part of the store a worker needs.
type Queue interface {
	ClaimJobs(ctx context.Context, queue, owner string, limit int, lease time.Duration) ([]store.OutboxItem, error)
	RenewJob(ctx context.Context, id int64, owner string, lease time.Duration) error
	ReleaseJob(ctx context.Context, id int64, owner string) error
	CompleteOutbox(ctx context.Context, id int64, owner string) error
	RetryOutbox(ctx context.Context, id int64, owner string, notBefore time.Time, lastErr string, giveUp bool) error
}

// Outcome is what became of one claimed row.
type Outcome string

// Outcomes.
const (
	Done     Outcome = "done"     // the handler succeeded
	Retry    Outcome = "retry"    // failed; another attempt is scheduled
	GaveUp   Outcome = "failed"   // failed for good (not retryable or out of attempts)
	Released Outcome = "released" // shutdown: handed back, attempt not counted
)

// Result reports one row's outcome to Options.OnResult.
type Result struct {
	Outcome Outcome
	Err     error     // the handler's error (nil for Done)
	Retry   bool      // what the handler said
	Next    time.Time // the next attempt (Retry)
}

// Options tune a worker. Zero values take the defaults.
type Options struct {
	// Queue is the store queue to drain (store.QueueNotify, ...).
	Queue string
	// Owner names this worker in leases; unique per receiver replica.
	Owner string
	// Batch is how many rows one claim takes (default 16); Parallel how
	// many run at once (default 4).
	Batch, Parallel int
	// Lease is how long a claim lasts without renewal (default 15s): how
	// long a crashed worker delays its rows. It is renewed every Lease/3.
	Lease time.Duration
	// Poll is how often an idle worker looks for due rows (default 1s).
	Poll time.Duration
	// MaxAttempts bounds attempts of one row (default 10); then it is
	// given up.
	MaxAttempts int
	// BackoffBase and BackoffMax shape exponential backoff with ±10%
	// jitter (defaults 10s and 15m).
	BackoffBase, BackoffMax time.Duration
	// Timeout bounds one Handle call (default 2m): renewal keeps a lease
	// alive only while the work is bounded.
	Timeout time.Duration
	// Grace bounds the bookkeeping after a shutdown (default 5s).
	Grace time.Duration
	// OnResult is called after a row's outcome is recorded, with a live
	// context (for timeline events and metrics). Optional.
	OnResult func(ctx context.Context, it store.OutboxItem, r Result)
	Logger   *slog.Logger
	Now      func() time.Time
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Batch <= 0 {
		o.Batch = 16
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	def(&o.Lease, 15*time.Second)
	def(&o.Poll, time.Second)
	def(&o.BackoffBase, 10*time.Second)
	def(&o.BackoffMax, 15*time.Minute)
	def(&o.Timeout, 2*time.Minute)
	def(&o.Grace, 5*time.Second)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Worker drains one queue.
type Worker struct {
	q    Queue
	h    Handler
	opts Options
	kick chan struct{}
}

// New returns a worker running h on the rows of opts.Queue.
func New(q Queue, h Handler, opts Options) *Worker {
	opts.defaults()
	return &Worker{q: q, h: h, opts: opts, kick: make(chan struct{}, 1)}
}

// Kick wakes the worker now instead of at the next poll, e.g. right after
// a webhook enqueued work.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run works until ctx ends; when it returns, every row it claimed has been
// completed, retried or released.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opts.Poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.opts.Logger.Warn("claiming jobs failed", "queue", w.opts.Queue, "err", err)
			}
			if n < w.opts.Batch || err != nil {
				break // drained: wait for the next tick or kick
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.kick:
		}
	}
}

// RunOnce claims one batch and works it; it returns how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	items, err := w.q.ClaimJobs(ctx, w.opts.Queue, w.opts.Owner, w.opts.Batch, w.opts.Lease)
	if err != nil {
		return 0, fmt.Errorf("claiming %s jobs: %w", w.opts.Queue, err)
	}
	sem := make(chan struct{}, w.opts.Parallel)
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Go(func() { w.work(ctx, it, sem) })
	}
	wg.Wait()
	return len(items), nil
}

// errLeaseLost cancels a handler whose row another worker may now hold.
var errLeaseLost = errors.New("job lease lost")

// work renews the row's lease from the claim on, including while it waits
// for one of the Parallel slots, so a row queued behind slow work is never
// taken over by another worker; then it runs the handler.
func (w *Worker) work(ctx context.Context, it store.OutboxItem, sem chan struct{}) {
	leased, stopRenewing := context.WithCancelCause(ctx)
	defer stopRenewing(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		w.renew(leased, it, stopRenewing)
	}()
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-leased.Done():
		stopRenewing(nil)
		<-renewed
		if ctx.Err() != nil {
			w.finish(ctx, it, Result{Outcome: Released, Err: ctx.Err()})
		}
		return // else the lease was lost: the row is someone else's now
	}
	runCtx, stop := context.WithTimeout(leased, w.opts.Timeout)
	retry, err := w.h.Handle(runCtx, it)
	stop()
	stopRenewing(nil)
	<-renewed
	switch {
	case err == nil:
		w.finish(ctx, it, Result{Outcome: Done})
	case ctx.Err() != nil:
		// Shut down mid-work: hand the row back for the next worker.
		w.finish(ctx, it, Result{Outcome: Released, Err: err, Retry: retry})
	case retry && it.Attempts < w.opts.MaxAttempts:
		w.finish(ctx, it, Result{Outcome: Retry, Err: err, Retry: true, Next: w.opts.Now().Add(w.backoff(it.Attempts))})
	default:
		w.finish(ctx, it, Result{Outcome: GaveUp, Err: err, Retry: retry})
	}
}

// renew extends the lease every Lease/3 until ctx ends; a lost lease
// cancels the handler.
func (w *Worker) renew(ctx context.Context, it store.OutboxItem, cancel context.CancelCauseFunc) {
	t := time.NewTicker(w.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := w.q.RenewJob(ctx, it.ID, w.opts.Owner, w.opts.Lease)
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			w.opts.Logger.Warn("job lease lost while working; stopping", "queue", w.opts.Queue, "job", it.ID)
			cancel(errLeaseLost)
			return
		case err != nil && ctx.Err() == nil:
			// Transient: the next tick tries again within the lease.
			w.opts.Logger.Warn("renewing a job lease failed", "queue", w.opts.Queue, "job", it.ID, "err", err)
		}
	}
}

// finish records the outcome with a context of its own: after a shutdown
// the worker's context is cancelled, and the row must still be handed back.
func (w *Worker) finish(ctx context.Context, it store.OutboxItem, r Result) {
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.Grace)
	defer cancel()
	log := w.opts.Logger.With("queue", w.opts.Queue, "job", it.ID, "key", it.Key, "attempt", it.Attempts)
	var err error
	switch r.Outcome {
	case Done:
		err = w.q.CompleteOutbox(bctx, it.ID, w.opts.Owner)
	case Released:
		err = w.q.ReleaseJob(bctx, it.ID, w.opts.Owner)
	case Retry:
		err = w.q.RetryOutbox(bctx, it.ID, w.opts.Owner, r.Next, r.Err.Error(), false)
		log.Info("job failed, will retry", "err", r.Err, "next_attempt", r.Next)
	case GaveUp:
		err = w.q.RetryOutbox(bctx, it.ID, w.opts.Owner, w.opts.Now(), r.Err.Error(), true)
		log.Error("job given up", "err", r.Err, "retryable", r.Retry)
	}
	if err != nil {
		// Losing the lease means another worker may repeat the work (at
		// least once); anything else leaves the row to its lease.
		log.Warn("recording a job outcome failed", "outcome", r.Outcome, "err", err)
	}
	if w.opts.OnResult != nil {
		w.opts.OnResult(bctx, it, r)
	}
}

// backoff doubles from BackoffBase per attempt up to BackoffMax, with ±10%
// jitter so replicas and bursts do not retry in lockstep.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.opts.BackoffBase
	for i := 1; i < attempt && d < w.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, w.opts.BackoffMax)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}
