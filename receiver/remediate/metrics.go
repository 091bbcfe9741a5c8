package remediate

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/receiver/store"
)

// Metrics are the remediation counters; the gauges (awaiting approval,
// paused) are read from the store at scrape time, so every replica
// reports the shared truth.
type Metrics struct {
	// Attempts counts outcomes by action and result: succeeded, failed,
	// unknown, dry_run, refused, skipped, awaiting_approval, planned.
	Attempts *prometheus.CounterVec
	// BudgetExhaustions counts plans stopped by a budget or the rate
	// limit (each also escalated to a person).
	BudgetExhaustions *prometheus.CounterVec
}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer, s store.Remediations, log *slog.Logger) *Metrics {
	m := &Metrics{
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "golive_remediation_attempts_total",
			Help: "Remediations by action and result (planned, awaiting_approval, dry_run, refused, skipped, succeeded, failed, unknown)."},
			[]string{"action", "result"}),
		BudgetExhaustions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "golive_remediation_budget_exhaustions_total",
			Help: "Remediations not run because a budget or the rate limit was exhausted; each was escalated to a person."},
			[]string{"action"}),
	}
	reg.MustRegister(m.Attempts, m.BudgetExhaustions, &gauges{s: s, log: log})
	return m
}

func (m *Metrics) planned(r store.Remediation) {
	if m != nil {
		m.Attempts.WithLabelValues(r.Action, string(r.State)).Inc()
	}
}

func (m *Metrics) result(action string, state store.RemediationState) {
	if m != nil {
		m.Attempts.WithLabelValues(action, string(state)).Inc()
	}
}

func (m *Metrics) exhausted(action string) {
	if m != nil {
		m.BudgetExhaustions.WithLabelValues(action).Inc()
	}
}

var (
	awaitingDesc = prometheus.NewDesc("golive_remediation_awaiting_approval",
		"Remediations waiting for a person to approve or reject them.", nil, nil)
	pausedDesc = prometheus.NewDesc("golive_remediation_paused",
		"1 while remediation is paused (golive remediation pause): nothing runs.", nil, nil)
)

type gauges struct {
	s   store.Remediations
	log *slog.Logger
}

func (g *gauges) Describe(ch chan<- *prometheus.Desc) { ch <- awaitingDesc; ch <- pausedDesc }

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := g.s.AwaitingApproval(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(awaitingDesc, prometheus.GaugeValue, float64(n))
	} else {
		g.log.Warn("remediation metrics: reading approvals failed", "err", err)
	}
	if c, err := g.s.Control(ctx); err == nil {
		v := 0.0
		if c.Paused {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, v)
	} else {
		g.log.Warn("remediation metrics: reading the kill switch failed", "err", err)
	}
}
