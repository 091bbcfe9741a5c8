package collector

import "github.com/prometheus/client_golang/prometheus"

// The runner's own metrics, one pair per collector per scrape, named like
// node_exporter's node_scrape_collector_{success,duration_seconds}.
var (
	successDesc = prometheus.NewDesc(
		"golive_exporter_collector_success",
		"Whether a collector succeeded within the scrape's deadline (1) or not (0).",
		[]string{"collector", "target"}, nil,
	)
	durationDesc = prometheus.NewDesc(
		"golive_exporter_collector_duration_seconds",
		"How long a collector took in this scrape; for a collector that missed the deadline, the time until the deadline.",
		[]string{"collector", "target"}, nil,
	)
)

func emitResult(ch chan<- prometheus.Metric, c Collector, res result) {
	success := 1.0
	if res.err != nil || res.abandoned {
		success = 0
	}
	ch <- prometheus.MustNewConstMetric(successDesc, prometheus.GaugeValue, success, c.Name(), c.Target())
	ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, res.duration.Seconds(), c.Name(), c.Target())
}
