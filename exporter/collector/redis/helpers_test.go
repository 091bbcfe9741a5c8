package redis

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// samples is a flattened exposition: `name{a="x",b="y"}` -> value, with
// summaries as name_count, name_sum and name{...,quantile="q"}.
type samples struct {
	values map[string]float64
	types  map[string]dto.MetricType
}

func flatten(t testing.TB, mfs []*dto.MetricFamily) samples {
	t.Helper()
	s := samples{values: map[string]float64{}, types: map[string]dto.MetricType{}}
	for _, mf := range mfs {
		name := mf.GetName()
		s.types[name] = mf.GetType()
		for _, m := range mf.GetMetric() {
			var pairs []string
			for _, lp := range m.GetLabel() {
				pairs = append(pairs, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			slices.Sort(pairs)
			key := func(n string, extra ...string) string {
				all := append(slices.Clone(pairs), extra...)
				slices.Sort(all)
				return n + "{" + strings.Join(all, ",") + "}"
			}
			switch mf.GetType() {
			case dto.MetricType_GAUGE:
				s.values[key(name)] = m.GetGauge().GetValue()
			case dto.MetricType_COUNTER:
				s.values[key(name)] = m.GetCounter().GetValue()
			case dto.MetricType_SUMMARY:
				s.values[key(name+"_count")] = float64(m.GetSummary().GetSampleCount())
				s.values[key(name+"_sum")] = m.GetSummary().GetSampleSum()
				for _, q := range m.GetSummary().GetQuantile() {
					s.values[key(name, fmt.Sprintf("quantile=%q", fmt.Sprint(q.GetQuantile())))] = q.GetValue()
				}
			default:
				s.values[key(name)] = m.GetUntyped().GetValue()
			}
		}
	}
	return s
}

// infoOnce feeds one INFO text through the production sink.
type infoOnce struct {
	c      *Collector
	info   string
	params parseParams
}

func (i infoOnce) Describe(chan<- *prometheus.Desc) {}

func (i infoOnce) Collect(ch chan<- prometheus.Metric) {
	parseInfo(i.info, i.params, &chanSink{ch: ch, c: i.c})
}

func offlineCollector(t testing.TB, opts ...Option) *Collector {
	t.Helper()
	cfg := DefaultConfig
	cfg.Name = "main"
	cfg.Address = "127.0.0.1:1" // New must not dial, so any address will do
	c, err := New(cfg, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func parseToSamples(t testing.TB, c *Collector, info string, now time.Time, databases int) samples {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(infoOnce{c: c, info: info, params: parseParams{now: now, databases: databases}})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return flatten(t, mfs)
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func gather(t testing.TB, c prometheus.Collector) samples {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return flatten(t, mfs)
}
