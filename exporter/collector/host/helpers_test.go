package host

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/golive-ops/golive/exporter/collector"
)

// asPrometheus adapts golive collectors to a prometheus.Collector so tests
// can use a Registry and testutil. It records Update errors.
type asPrometheus struct {
	ctx  context.Context
	cs   []collector.Collector
	mu   sync.Mutex
	errs []error
}

func (a *asPrometheus) Describe(chan<- *prometheus.Desc) {} // unchecked

func (a *asPrometheus) Collect(ch chan<- prometheus.Metric) {
	for _, c := range a.cs {
		if err := c.Update(a.ctx, ch); err != nil {
			a.mu.Lock()
			a.errs = append(a.errs, err)
			a.mu.Unlock()
		}
	}
}

func fixtureConfig() Config {
	cfg := Default
	cfg.Paths = Paths{Procfs: "testdata/fixture/proc", Sysfs: "testdata/fixture/sys", Rootfs: "/"}
	return cfg
}

func newFixtureCollector(t testing.TB, name string) collector.Collector {
	t.Helper()
	cfg := fixtureConfig()
	cfg.Collectors = []string{name}
	cs, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m := members(cs)
	c, ok := m[name]
	if len(m) != 1 || !ok || c.Target() != "" {
		t.Fatalf("New with collectors [%s] returned %v", name, m)
	}
	// The collector's own metrics, without node_scrape_collector_* (see
	// TestScrapeCollectorMetrics).
	return c.(instrumented).Collector
}

// gather runs the collectors once and returns the families by name.
func gather(t testing.TB, cs ...collector.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	return gatherCtx(t, context.Background(), cs...)
}

func gatherCtx(t testing.TB, ctx context.Context, cs ...collector.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	a := &asPrometheus{ctx: ctx, cs: cs}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(a)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.errs) > 0 {
		t.Fatalf("Update: %v", a.errs)
	}
	out := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the sample of family name whose labels include the given
// name/value pairs; it fails the test when there is not exactly one.
func value(t testing.TB, mfs map[string]*dto.MetricFamily, name string, labelPairs ...string) float64 {
	t.Helper()
	var found []float64
	for _, m := range mfs[name].GetMetric() {
		if hasLabels(m, labelPairs...) {
			found = append(found, sampleValue(m))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s%v: %d samples, want 1", name, labelPairs, len(found))
	}
	return found[0]
}

// filter returns the samples of family name that carry the label pairs.
func filter(mfs map[string]*dto.MetricFamily, name string, labelPairs ...string) []*dto.Metric {
	var out []*dto.Metric
	for _, m := range mfs[name].GetMetric() {
		if hasLabels(m, labelPairs...) {
			out = append(out, m)
		}
	}
	return out
}

func hasLabels(m *dto.Metric, pairs ...string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		ok := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}

// members returns every sub-collector of cs by name, inside the host group
// or not.
func members(cs []collector.Collector) map[string]collector.Collector {
	out := map[string]collector.Collector{}
	for _, c := range cs {
		if g, ok := c.(*group); ok {
			for _, m := range g.members {
				out[m.Name()] = m
			}
			continue
		}
		out[c.Name()] = c
	}
	return out
}
