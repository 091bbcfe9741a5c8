package prober

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/golive-ops/golive/exporter/collector"
)

// NewCollector returns the collector for one configured probe: each Update
// runs Run against target into a fresh registry and re-emits every metric
// with the labels module=<moduleName> and target=<target> added, so that
// /metrics can hold many probes. A password in a URL target is redacted in
// the label.
func NewCollector(moduleName string, module Module, target string, logger *slog.Logger) collector.Collector {
	shown := redactTarget(target)
	return &probeCollector{
		target: target,
		shown:  shown,
		module: module,
		logger: logger.With("module", moduleName, "target", shown),
		descs:  map[descKey]*prometheus.Desc{},
		extra: []*dto.LabelPair{
			{Name: proto.String("module"), Value: proto.String(moduleName)},
			{Name: proto.String("target"), Value: proto.String(shown)},
		},
	}
}

type probeCollector struct {
	target string // as probed
	shown  string // as labelled and logged
	module Module
	logger *slog.Logger
	extra  []*dto.LabelPair // sorted by name; shared, never modified

	mu    sync.Mutex
	descs map[descKey]*prometheus.Desc // reused across scrapes
}

type descKey struct{ name, help string }

func (c *probeCollector) Name() string   { return "probe" }
func (c *probeCollector) Target() string { return c.shown }

// Update probes once. A failed probe is not an error (probe_success says
// so); running out of the scrape's own time is.
func (c *probeCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	registry := prometheus.NewRegistry()
	_, cut := run(ctx, c.target, c.module, registry, c.logger)
	families, err := registry.Gather()
	if err != nil {
		return fmt.Errorf("gathering probe metrics: %w", err)
	}
	c.emit(families, ch)
	if cut {
		return fmt.Errorf("the scrape's deadline cut the probe short: %w", context.DeadlineExceeded)
	}
	return ctx.Err()
}

// emit sends every gathered metric with the extra labels merged in. The
// metrics and their label slices come from two allocations per probe, not
// one per series.
func (c *probeCollector) emit(families []*dto.MetricFamily, ch chan<- prometheus.Metric) {
	series, labels := 0, 0
	for _, family := range families {
		series += len(family.Metric)
		for _, m := range family.Metric {
			labels += len(m.Label) + len(c.extra)
		}
	}
	metrics := make([]labeledMetric, 0, series)
	pairs := make([]*dto.LabelPair, 0, labels)
	for _, family := range families {
		desc := c.desc(family)
		for _, m := range family.Metric {
			start := len(pairs)
			pairs = mergeLabels(pairs, m.Label, c.extra)
			m.Label = pairs[start:len(pairs):len(pairs)]
			metrics = append(metrics, labeledMetric{desc: desc, metric: m})
			ch <- &metrics[len(metrics)-1]
		}
	}
}

// desc returns the family's Desc. It only carries name and help: the
// runner's collector is unchecked, and the labels travel in the dto.
func (c *probeCollector) desc(family *dto.MetricFamily) *prometheus.Desc {
	key := descKey{family.GetName(), family.GetHelp()}
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.descs[key]
	if !ok {
		d = prometheus.NewDesc(key.name, key.help, nil, nil)
		c.descs[key] = d
	}
	return d
}

// mergeLabels appends to dst labels (sorted, as gathered) with extra
// (sorted) merged in; an original label named like an extra one is replaced.
func mergeLabels(dst, labels, extra []*dto.LabelPair) []*dto.LabelPair {
	i, j := 0, 0
	for i < len(labels) || j < len(extra) {
		switch {
		case j == len(extra) || i < len(labels) && labels[i].GetName() < extra[j].GetName():
			dst = append(dst, labels[i])
			i++
		case i < len(labels) && labels[i].GetName() == extra[j].GetName():
			i++ // ours wins
		default:
			dst = append(dst, extra[j])
			j++
		}
	}
	return dst
}

// labeledMetric is a gathered metric re-emitted as a prometheus.Metric.
type labeledMetric struct {
	desc   *prometheus.Desc
	metric *dto.Metric
}

func (m *labeledMetric) Desc() *prometheus.Desc { return m.desc }

func (m *labeledMetric) Write(out *dto.Metric) error {
	out.Label = m.metric.Label
	out.Gauge = m.metric.Gauge
	out.Counter = m.metric.Counter
	out.Summary = m.metric.Summary
	out.Untyped = m.metric.Untyped
	out.Histogram = m.metric.Histogram
	out.TimestampMs = m.metric.TimestampMs
	return nil
}

// redactTarget hides a password in a URL target (http://user:pass@host,
// postgres://user:pass@host/db) so it never reaches a label or a log.
func redactTarget(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.User == nil {
		return target
	}
	if _, has := u.User.Password(); !has {
		return target
	}
	return u.Redacted()
}
