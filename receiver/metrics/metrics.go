// Package metrics is the receiver's metric table, registered on an
// injected registry.
package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/receiver/store"
)

// Webhook results (the result label of webhooks_received_total).
const (
	ResultOK           = "ok"
	ResultBadRequest   = "bad_request"
	ResultTooLarge     = "too_large"
	ResultUnauthorized = "unauthorized"
	ResultMediaType    = "unsupported_media_type"
	ResultUnavailable  = "unavailable"
	ResultError        = "error"
)

// Metrics are the receiver's own metrics.
type Metrics struct {
	WebhooksReceived     *prometheus.CounterVec
	IngestDuration       prometheus.Histogram
	DuplicateOccurrences prometheus.Counter
	SLABreaches          *prometheus.CounterVec
	// Notifications is for the outbox worker: channel, result (sent,
	// retry, failed).
	Notifications *prometheus.CounterVec
}

// New creates and registers the metrics; s backs the gauges read at
// scrape time (open incidents, outbox depth), so every replica reports the
// shared truth.
func New(reg prometheus.Registerer, s store.Store, logger *slog.Logger) *Metrics {
	m := &Metrics{
		WebhooksReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_receiver_webhooks_received_total",
			Help: "Alertmanager webhook requests, by result.",
		}, []string{"result"}),
		IngestDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "golive_receiver_ingest_duration_seconds",
			Help:    "Time from reading a webhook body to its durable commit.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		DuplicateOccurrences: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "golive_receiver_duplicate_occurrences_total",
			Help: "Alerts received that changed nothing (replays, HA peers, repeat notifications).",
		}),
		SLABreaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_receiver_sla_breaches_total",
			Help: "SLA deadlines missed, by priority and kind (response or resolution).",
		}, []string{"priority", "kind"}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_receiver_notifications_total",
			Help: "Notification delivery attempts, by channel and result.",
		}, []string{"channel", "result"}),
	}
	for _, r := range []string{ResultOK, ResultBadRequest, ResultTooLarge, ResultUnauthorized, ResultMediaType, ResultUnavailable, ResultError} {
		m.WebhooksReceived.WithLabelValues(r)
	}
	for _, p := range store.Priorities {
		for _, k := range []string{"response", "resolution"} {
			m.SLABreaches.WithLabelValues(string(p), k)
		}
	}
	reg.MustRegister(m.WebhooksReceived, m.IngestDuration, m.DuplicateOccurrences, m.SLABreaches, m.Notifications,
		&storeCollector{s: s, logger: logger})
	return m
}

var (
	openDesc = prometheus.NewDesc("golive_receiver_incidents_open",
		"Incidents not yet resolved, by priority.", []string{"priority"}, nil)
	outboxDesc = prometheus.NewDesc("golive_receiver_outbox_depth",
		"Notifications waiting in the outbox.", nil, nil)
	upDesc = prometheus.NewDesc("golive_receiver_store_up",
		"Whether the last scrape could read the store.", nil, nil)
)

// storeCollector reads gauges from the store at scrape time, bounded so
// a slow database cannot stall the scrape.
type storeCollector struct {
	s      store.Store
	logger *slog.Logger
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openDesc
	ch <- outboxDesc
	ch <- upDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	st, err := c.s.Stats(ctx)
	if err != nil {
		c.logger.Warn("metrics: cannot read the store", "err", err)
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	for _, p := range store.Priorities {
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(st.OpenIncidents[p]), string(p))
	}
	ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(st.OutboxDepth))
}
