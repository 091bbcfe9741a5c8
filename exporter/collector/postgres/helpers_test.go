package postgres

import (
	"context"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/golive-ops/golive/internal/testenv"
)

// gathered is one scrape's output, checked by a real registry (which
// rejects duplicate series and inconsistent help or types).
type gathered map[string]*dto.MetricFamily

// scrapeOnce runs update and gathers its metrics through a registry.
func scrapeOnce(ctx context.Context, t *testing.T, update func(context.Context, chan<- prometheus.Metric) error) (gathered, error) {
	t.Helper()
	metrics, err := collect(ctx, update)
	out, gerr := gather(metrics)
	if gerr != nil {
		t.Fatalf("gather: %v", gerr)
	}
	return out, err
}

// collect runs update and returns what it sent. It needs no *testing.T, so
// tests may call it from several goroutines.
func collect(ctx context.Context, update func(context.Context, chan<- prometheus.Metric) error) ([]prometheus.Metric, error) {
	var (
		metrics []prometheus.Metric
		wg      sync.WaitGroup
	)
	ch := make(chan prometheus.Metric)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m := range ch {
			metrics = append(metrics, m)
		}
	}()
	err := update(ctx, ch)
	close(ch)
	wg.Wait()
	return metrics, err
}

// gather checks metrics through a pedantic registry and indexes them by name.
func gather(metrics []prometheus.Metric) (gathered, error) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(constCollector(metrics))
	families, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := gathered{}
	for _, f := range families {
		out[f.GetName()] = f
	}
	return out, nil
}

type constCollector []prometheus.Metric

func (constCollector) Describe(chan<- *prometheus.Desc) {}
func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// value returns the sample of family name whose labels include want.
func (g gathered) value(t *testing.T, name string, want map[string]string) (float64, bool) {
	t.Helper()
	f, ok := g[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if hasLabels(m, want) {
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue(), true
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue(), true
			default:
				return m.GetUntyped().GetValue(), true
			}
		}
	}
	return 0, false
}

func (g gathered) mustValue(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	v, ok := g.value(t, name, want)
	if !ok {
		t.Fatalf("no %s%v in scrape", name, want)
	}
	return v
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// labelNames returns the sorted label names of family name's first sample.
func (g gathered) labelNames(name string) string {
	f, ok := g[name]
	if !ok || len(f.GetMetric()) == 0 {
		return "<absent>"
	}
	var names []string
	for _, l := range f.GetMetric()[0].GetLabel() {
		names = append(names, l.GetName())
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// closedPort returns a loopback port nobody listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// hungListener is a PostgreSQL server stuck on I/O: it accepts and never answers.
func hungListener(t *testing.T) (host string, port int) {
	t.Helper()
	h, p, err := net.SplitHostPort(testenv.SilentListener(t))
	if err != nil {
		t.Fatal(err)
	}
	port, err = strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return h, port
}
