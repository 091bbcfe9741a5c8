package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/receiver/jobs"
	"github.com/golive-ops/golive/receiver/store"
)

// Timeline event kinds the worker appends.
const (
	EventNotificationSent   store.EventKind = "notification_sent"
	EventNotificationFailed store.EventKind = "notification_failed"
)

// Queue is the part of the store the worker needs: the job queue and the
// incident timeline.
type Queue interface {
	jobs.Queue
	Update(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error
}

// WorkerOptions tune delivery. Zero values take the defaults of
// jobs.Options (a 15s lease renewed while a send runs, 10 attempts,
// backoff from 10s to 15m).
type WorkerOptions struct {
	// Owner names this worker in leases; unique per receiver replica.
	Owner string
	// Batch is how many items one claim takes; Parallel how many are sent
	// at once.
	Batch, Parallel int
	// Lease is how long a crashed worker delays its items.
	Lease time.Duration
	// SendTimeout bounds one send (default 2m; channels have their own,
	// shorter timeouts).
	SendTimeout time.Duration
	// Poll is how often an idle worker looks for due items.
	Poll time.Duration
	// MaxAttempts bounds retries of one item; then it is given up and a
	// notification_failed event tells people in the timeline.
	MaxAttempts int
	// BackoffBase and BackoffMax shape exponential backoff with jitter.
	BackoffBase, BackoffMax time.Duration
	// Results counts outcomes by channel and result (sent, retry, failed).
	Results *prometheus.CounterVec
	Logger  *slog.Logger
	Now     func() time.Time
}

// Worker delivers the notify queue: the first handler of the job worker.
// Delivery is at least once: a crash between a successful send and its
// bookkeeping repeats that one send, and Message.Key lets the far end drop
// the repeat. One incident's notifications to one channel are delivered in
// order (their OrderingKey); different incidents go in parallel.
type Worker struct {
	*jobs.Worker
	q        Queue
	channels map[string]Channel
	opts     WorkerOptions
}

// NewWorker returns a worker over q delivering through channels.
func NewWorker(q Queue, channels map[string]Channel, opts WorkerOptions) *Worker {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Worker{q: q, channels: channels, opts: opts}
	w.Worker = jobs.New(q, jobs.HandlerFunc(w.send), jobs.Options{
		Queue: store.QueueNotify, Owner: opts.Owner, Batch: opts.Batch, Parallel: opts.Parallel, Lease: opts.Lease,
		Timeout: opts.SendTimeout, Poll: opts.Poll, MaxAttempts: opts.MaxAttempts, BackoffBase: opts.BackoffBase,
		BackoffMax: opts.BackoffMax, OnResult: w.record, Logger: opts.Logger, Now: opts.Now,
	})
	return w
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

var results = map[jobs.Outcome]string{jobs.Done: "sent", jobs.Retry: "retry", jobs.GaveUp: "failed"}

// record counts the outcome and tells people in the timeline.
func (w *Worker) record(ctx context.Context, it store.OutboxItem, r jobs.Result) {
	if res, ok := results[r.Outcome]; ok && w.opts.Results != nil {
		w.opts.Results.WithLabelValues(it.Channel, res).Inc()
	}
	switch r.Outcome {
	case jobs.Done:
		w.event(ctx, it, EventNotificationSent, "")
	case jobs.GaveUp:
		w.event(ctx, it, EventNotificationFailed, r.Err.Error())
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
