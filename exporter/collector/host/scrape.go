package host

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/exporter/collector"
)

// node_exporter's own per-collector metrics, which the node-mixin and the
// Node Exporter Full dashboard read; golive_exporter_collector_* (from the
// runner) says the same for every kind of collector.
var (
	scrapeDurationDesc = desc("node_scrape_collector_duration_seconds", "node_exporter: Duration of a collector scrape.", "collector")
	scrapeSuccessDesc  = desc("node_scrape_collector_success", "node_exporter: Whether a collector succeeded.", "collector")
)

// errNoData is node_exporter's ErrNoData: the source does not exist on this
// host (no nf_conntrack, no PSI, adjtimex forbidden). node_exporter reports
// node_scrape_collector_success 0 for it, and so does golive; for the
// runner it is no failure (golive_exporter_collector_success stays 1 and
// nothing is logged above debug), since there is nothing to fix.
var errNoData = errors.New("collector returned no data")

// instrumented reports its collector's outcome under node_exporter's names
// once Update returns. A collector the runner abandons at the deadline
// reports nothing here (its output is dropped); the runner's
// golive_exporter_collector_success says it failed.
type instrumented struct{ collector.Collector }

func (c instrumented) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	start := time.Now()
	err := c.Collector.Update(ctx, ch)
	success := 1.0
	if err != nil {
		success = 0
	}
	if errors.Is(err, errNoData) {
		err = nil
	}
	ch <- prometheus.MustNewConstMetric(scrapeDurationDesc, prometheus.GaugeValue, time.Since(start).Seconds(), c.Name())
	ch <- prometheus.MustNewConstMetric(scrapeSuccessDesc, prometheus.GaugeValue, success, c.Name())
	return err
}

// simple is a collector of one host source that needs no state between
// scrapes beyond what its closure holds.
type simple struct {
	name   string
	update func(ch chan<- prometheus.Metric) error
}

func (s simple) Name() string   { return s.name }
func (s simple) Target() string { return "" }

func (s simple) Update(_ context.Context, ch chan<- prometheus.Metric) error { return s.update(ch) }
