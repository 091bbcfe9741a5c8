package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/receiver/store"
)

// Timeline event kinds the worker appends.
const (
	EventNotificationSent   store.EventKind = "notification_sent"
	EventNotificationFailed store.EventKind = "notification_failed"
)

// Queue is the part of the store the worker needs: the durable outbox and
// the incident timeline.
type Queue interface {
	ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]store.OutboxItem, error)
	CompleteOutbox(ctx context.Context, id int64, owner string) error
	RetryOutbox(ctx context.Context, id int64, owner string, notBefore time.Time, lastErr string, giveUp bool) error
	Update(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error
}

// WorkerOptions tune delivery. Zero values take the defaults.
type WorkerOptions struct {
	// Owner names this worker in leases; unique per receiver replica.
	Owner string
	// Batch is how many items one claim takes (default 16); Parallel how
	// many are sent at once (default 4).
	Batch, Parallel int
	// Lease must outlast one send (default 2m): a worker that dies holding
	// items releases them when the lease ends.
	Lease time.Duration
	// Poll is how often an idle worker looks for due items (default 1s).
	Poll time.Duration
	// MaxAttempts bounds retries of one item (default 10); then it is given
	// up and a notification_failed event tells people in the timeline.
	MaxAttempts int
	// BackoffBase and BackoffMax shape exponential backoff with jitter
	// (defaults 10s and 15m).
	BackoffBase, BackoffMax time.Duration
	// Results counts outcomes by channel and result (sent, retry, failed).
	Results *prometheus.CounterVec
	Logger  *slog.Logger
	Now     func() time.Time
}

func (o *WorkerOptions) defaults() {
	if o.Batch <= 0 {
		o.Batch = 16
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 10 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 15 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Worker drains the outbox: claim due items, send each through its
// channel, then complete it or schedule a retry. Delivery is at least once:
// a crash between a successful send and CompleteOutbox repeats that one
// send after the lease, and Message.Key lets the far end drop the repeat.
type Worker struct {
	q        Queue
	channels map[string]Channel
	opts     WorkerOptions
	kick     chan struct{}
}

// NewWorker returns a worker over q delivering through channels.
func NewWorker(q Queue, channels map[string]Channel, opts WorkerOptions) *Worker {
	opts.defaults()
	return &Worker{q: q, channels: channels, opts: opts, kick: make(chan struct{}, 1)}
}

// Kick wakes the worker now instead of at the next poll, e.g. right after a
// webhook enqueued notifications.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.opts.Poll)
	defer t.Stop()
	for {
		for {
			n, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.opts.Logger.Warn("outbox claim failed", "err", err)
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

// RunOnce claims one batch and delivers it; it returns how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	items, err := w.q.ClaimOutbox(ctx, w.opts.Owner, w.opts.Batch, w.opts.Lease)
	if err != nil {
		return 0, fmt.Errorf("claiming outbox items: %w", err)
	}
	// Every send of the batch must end within the lease taken by the claim:
	// once it expires another replica may claim the item and send it too.
	// Bookkeeping keeps ctx, so an expired send is still recorded.
	sendCtx, cancel := context.WithTimeout(ctx, w.opts.Lease)
	defer cancel()
	sem := make(chan struct{}, w.opts.Parallel)
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			w.deliver(ctx, sendCtx, it)
		}()
	}
	wg.Wait()
	return len(items), nil
}

func (w *Worker) deliver(ctx, sendCtx context.Context, it store.OutboxItem) {
	log := w.opts.Logger.With("outbox_id", it.ID, "channel", it.Channel, "incident", it.IncidentID, "attempt", it.Attempts)
	retry, sendErr := w.send(sendCtx, it)
	switch {
	case sendErr == nil:
		if err := w.q.CompleteOutbox(ctx, it.ID, w.opts.Owner); err != nil {
			// The send happened; losing the lease means another worker may
			// send again, which Message.Key lets the far end absorb.
			log.Warn("completing a delivered notification failed", "err", err)
		}
		w.count(it.Channel, "sent")
		w.event(ctx, it, EventNotificationSent, "")
		log.Debug("notification sent")
	case retry && it.Attempts < w.opts.MaxAttempts:
		next := w.opts.Now().Add(w.backoff(it.Attempts))
		if err := w.q.RetryOutbox(ctx, it.ID, w.opts.Owner, next, sendErr.Error(), false); err != nil {
			log.Warn("scheduling a notification retry failed", "err", err)
		}
		w.count(it.Channel, "retry")
		log.Info("notification failed, will retry", "err", sendErr, "next_attempt", next)
	default:
		if err := w.q.RetryOutbox(ctx, it.ID, w.opts.Owner, w.opts.Now(), sendErr.Error(), true); err != nil {
			log.Warn("giving up a notification failed", "err", err)
		}
		w.count(it.Channel, "failed")
		w.event(ctx, it, EventNotificationFailed, sendErr.Error())
		log.Error("notification given up", "err", sendErr, "retryable", retry)
	}
}

// errUnknownChannel is permanent: a config reload removed the channel.
var errUnknownChannel = errors.New("channel is not configured")

func (w *Worker) send(ctx context.Context, it store.OutboxItem) (bool, error) {
	ch, ok := w.channels[it.Channel]
	if !ok {
		return false, fmt.Errorf("%q: %w", it.Channel, errUnknownChannel)
	}
	var m Message
	if err := json.Unmarshal(it.Payload, &m); err != nil {
		return false, fmt.Errorf("decoding outbox payload: %w", err)
	}
	m.Key = it.Key
	return ch.Sender.Send(ctx, m)
}

// backoff doubles from BackoffBase per attempt up to BackoffMax, with ±20%
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

func (w *Worker) count(channel, result string) {
	if w.opts.Results != nil {
		w.opts.Results.WithLabelValues(channel, result).Inc()
	}
}

func (w *Worker) event(ctx context.Context, it store.OutboxItem, kind store.EventKind, errText string) {
	if it.IncidentID == 0 {
		return
	}
	ev := store.Event{
		IncidentID: it.IncidentID, At: w.opts.Now(), Kind: kind, Actor: store.SystemActor,
		Note: errText,
		Data: map[string]any{"channel": it.Channel, "event": it.Kind, "attempts": it.Attempts, "key": it.Key},
	}
	err := w.q.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.AppendEvents(ctx, []store.Event{ev})
	})
	if err != nil {
		w.opts.Logger.Warn("recording a notification event failed", "err", err, "incident", it.IncidentID)
	}
}
