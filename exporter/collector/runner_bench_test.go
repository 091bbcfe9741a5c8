package collector

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkRunner measures the runner's own cost per scrape: 20 collectors
// (about what a host with a few servers and probes has) sending 50 metrics
// each, gathered through a fresh registry as the /metrics handler does.
func BenchmarkRunner(b *testing.B) {
	desc := prometheus.NewDesc("bench_value", "A benchmark value.", []string{"c", "i"}, nil)
	labels := make([]string, 50)
	for i := range labels {
		labels[i] = fmt.Sprint(i)
	}
	cs := make([]Collector, 20)
	for i := range cs {
		name := fmt.Sprint("c", i)
		cs[i] = fake{name, "", func(ctx context.Context, ch chan<- prometheus.Metric) error {
			for _, l := range labels {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 1, name, l)
			}
			return nil
		}}
	}
	r := NewRunner(cs, discard())
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		reg := prometheus.NewRegistry()
		reg.MustRegister(r.Scrape(ctx))
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
		cancel()
	}
}
