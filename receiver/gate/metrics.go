package gate

import (
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	engine "github.com/golive-ops/golive/internal/gate"
)

// Metrics are the gate metrics, made once per process and shared by the
// Services that config reloads build. They are labelled by gate and check
// names from the config only, so their cardinality is bounded by it.
type Metrics struct {
	decisions *prometheus.CounterVec
	cacheHits *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	value     *prometheus.GaugeVec
	breached  *prometheus.GaugeVec
}

// NewMetrics registers the gate metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_gate_decisions_total", Help: "Gate evaluations by gate and decision (proceed, hold, rollback).",
		}, []string{"gate", "decision"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_gate_cached_answers_total", Help: "Gate requests answered with a decision evaluated within min_interval.",
		}, []string{"gate"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "golive_gate_evaluation_duration_seconds", Help: "Time to gather a gate's evidence, decide and store the decision.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"gate"}),
		value: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "golive_gate_check_value", Help: "The value of a gate check at its last evaluation (NaN without data).",
		}, []string{"gate", "check"}),
		breached: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "golive_gate_check_breached", Help: "1 if a gate check breached its threshold at its last evaluation.",
		}, []string{"gate", "check"}),
	}
	reg.MustRegister(m.decisions, m.cacheHits, m.duration, m.value, m.breached)
	return m
}

// init makes every gate's counters exist at zero, so rate() sees the first
// decision.
func (m *Metrics) init(gates []Config) {
	if m == nil {
		return
	}
	for _, g := range gates {
		for _, d := range []engine.Decision{engine.Proceed, engine.Hold, engine.Rollback} {
			m.decisions.WithLabelValues(g.Name, string(d))
		}
		m.cacheHits.WithLabelValues(g.Name)
	}
}

func (m *Metrics) observe(d Decision, took time.Duration) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(d.Gate, string(d.Decision)).Inc()
	m.duration.WithLabelValues(d.Gate).Observe(took.Seconds())
	for _, c := range d.Checks {
		v := math.NaN()
		if c.Value != nil {
			v = float64(*c.Value)
		}
		m.value.WithLabelValues(d.Gate, c.Name).Set(v)
		b := 0.0
		if c.Breached {
			b = 1
		}
		m.breached.WithLabelValues(d.Gate, c.Name).Set(b)
	}
}

func (m *Metrics) cacheHit(gate string) {
	if m != nil {
		m.cacheHits.WithLabelValues(gate).Inc()
	}
}
