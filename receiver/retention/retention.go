// Package retention deletes what the receiver no longer needs: raw
// payloads, ended occurrences and closed incidents past their configured
// age, oldest first, in small transactions so that webhooks never wait
// long behind it. Several replicas may run it at once; each row is deleted
// once.
package retention

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/receiver/store"
)

// Kinds of rows retention deletes (the kind label).
const (
	KindWebhooks    = "webhooks"
	KindOccurrences = "occurrences"
	KindIncidents   = "incidents"
	KindGates       = "gate_decisions"
)

// Metrics are retention's own.
type Metrics struct {
	Deleted     *prometheus.CounterVec
	Failures    prometheus.Counter
	LastSuccess prometheus.Gauge
}

// NewMetrics registers retention's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Deleted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "golive_receiver_retention_deleted_total",
			Help: "Rows deleted by retention, by kind (webhooks, occurrences, incidents with their timeline, gate_decisions)."}, []string{"kind"}),
		Failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "golive_receiver_retention_failures_total",
			Help: "Retention runs that stopped on a storage error."}),
		LastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "golive_receiver_retention_last_success_timestamp_seconds",
			Help: "When a retention run last completed."}),
	}
	for _, k := range []string{KindWebhooks, KindOccurrences, KindIncidents} {
		m.Deleted.WithLabelValues(k)
	}
	reg.MustRegister(m.Deleted, m.Failures, m.LastSuccess)
	return m
}

// Runner applies one Config.
type Runner struct {
	Store   store.Retention
	Config  Config
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	// Pause between batches lets queued webhooks take the writer (0: 10ms).
	Pause time.Duration
}

// Run runs once at start and then every Config.Interval until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(time.Duration(r.Config.Interval))
	defer t.Stop()
	for {
		if _, err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("retention stopped early; the next run continues", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce deletes everything past its age, batch by batch, and returns the
// rows deleted per kind.
func (r *Runner) RunOnce(ctx context.Context) (map[string]int, error) {
	now := r.Now()
	deleted := map[string]int{}
	for _, k := range []struct {
		kind  string
		age   time.Duration
		prune func(context.Context, time.Time, int) (int, error)
	}{
		{KindWebhooks, time.Duration(r.Config.Webhooks), r.Store.PruneWebhooks},
		{KindOccurrences, time.Duration(r.Config.Occurrences), r.Store.PruneOccurrences},
		{KindIncidents, time.Duration(r.Config.Incidents), r.Store.PruneIncidents},
		{KindGates, time.Duration(r.Config.GateDecisions), r.Store.PruneGateDecisions},
	} {
		if k.age <= 0 {
			continue
		}
		for {
			n, err := k.prune(ctx, now.Add(-k.age), r.Config.BatchSize)
			deleted[k.kind] += n
			r.Metrics.Deleted.WithLabelValues(k.kind).Add(float64(n))
			if err != nil {
				r.Metrics.Failures.Inc()
				return deleted, err
			}
			if n < r.Config.BatchSize {
				break
			}
			if err := r.pause(ctx); err != nil {
				return deleted, err
			}
		}
	}
	r.Metrics.LastSuccess.Set(float64(r.Now().Unix()))
	if len(deleted) > 0 {
		r.Logger.Debug("retention run", "webhooks", deleted[KindWebhooks], "occurrences", deleted[KindOccurrences], "incidents", deleted[KindIncidents])
	}
	return deleted, nil
}

func (r *Runner) pause(ctx context.Context) error {
	d := r.Pause
	if d <= 0 {
		d = 10 * time.Millisecond
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
