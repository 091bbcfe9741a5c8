package prober

import "github.com/prometheus/client_golang/prometheus"

// httpMetrics are the gauges every http probe registers, named and
// described as in blackbox_exporter.
type httpMetrics struct {
	phases           *prometheus.GaugeVec
	contentLength    prometheus.Gauge
	bodyLength       prometheus.Gauge
	redirects        prometheus.Gauge
	ssl              prometheus.Gauge
	statusCode       prometheus.Gauge
	version          prometheus.Gauge
	failedDueToRegex prometheus.Gauge
	lastModified     prometheus.Gauge // registered only when the header parses
}

// httpPhases are probe_http_duration_seconds' phase label values.
var httpPhases = []string{"resolve", "connect", "tls", "processing", "transfer"}

func newHTTPMetrics(registry *prometheus.Registry) *httpMetrics {
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m := &httpMetrics{
		phases: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "probe_http_duration_seconds",
			Help: "Duration of http request by phase, summed over all redirects",
		}, []string{"phase"}),
		contentLength:    gauge("probe_http_content_length", "Length of http content response"),
		bodyLength:       gauge("probe_http_uncompressed_body_length", "Length of uncompressed response body"),
		redirects:        gauge("probe_http_redirects", "The number of redirects"),
		ssl:              gauge("probe_http_ssl", "Indicates if SSL was used for the final redirect"),
		statusCode:       gauge("probe_http_status_code", "Response HTTP status code"),
		version:          gauge("probe_http_version", "Returns the version of HTTP of the probe response"),
		failedDueToRegex: prometheus.NewGauge(probeFailedDueToRegexOpts),
		lastModified:     gauge("probe_http_last_modified_timestamp_seconds", "Returns the Last-Modified HTTP response header in unixtime"),
	}
	for _, phase := range httpPhases {
		m.phases.WithLabelValues(phase)
	}
	registry.MustRegister(m.phases, m.contentLength, m.bodyLength, m.redirects,
		m.ssl, m.statusCode, m.version, m.failedDueToRegex)
	return m
}
