// Package prober probes one target with one module, blackbox_exporter style.
//
// Metric names, types, labels and help texts match blackbox_exporter's, so
// dashboards and alerts written for it work unchanged. Metrics that several
// probers emit (probe_ip_protocol, probe_ssl_*, ...) take their options from
// this file: one /metrics scrape gathers every prober's metrics together, and
// the registry rejects two help texts for one name.
package prober

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// ProbeFn probes target as module describes and registers what it measured
// in registry (a fresh one per probe). It returns whether the probe
// succeeded; the caller emits probe_success and probe_duration_seconds.
// ctx carries the probe's deadline; a ProbeFn must return soon after it and
// must not panic.
type ProbeFn func(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool

// Options of the metrics shared by several probers. They are values, not
// collectors: each probe builds its own gauges from them.
var (
	probeSuccessOpts = prometheus.GaugeOpts{
		Name: "probe_success",
		Help: "Displays whether or not the probe was a success",
	}
	probeDurationOpts = prometheus.GaugeOpts{
		Name: "probe_duration_seconds",
		Help: "Returns how long the probe took to complete in seconds",
	}
	probeDNSLookupTimeOpts = prometheus.GaugeOpts{
		Name: "probe_dns_lookup_time_seconds",
		Help: "Returns the time taken for probe dns lookup in seconds",
	}
	probeIPProtocolOpts = prometheus.GaugeOpts{
		Name: "probe_ip_protocol",
		Help: "Specifies whether probe ip protocol is IP4 or IP6",
	}
	probeIPAddrHashOpts = prometheus.GaugeOpts{
		Name: "probe_ip_addr_hash",
		Help: "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
	}
	probeFailedDueToRegexOpts = prometheus.GaugeOpts{
		Name: "probe_failed_due_to_regex",
		Help: "Indicates if probe failed due to regex",
	}
	probeSSLEarliestCertExpiryOpts = prometheus.GaugeOpts{
		Name: "probe_ssl_earliest_cert_expiry",
		Help: "Returns the earliest expiry of any peer certificate returned by the server as an unix timestamp. This can include certificates that are not validated by TLS clients. In rare server configurations this might return a time in the past, even for valid TLS certificate chains.",
	}
	probeSSLLastChainExpiryOpts = prometheus.GaugeOpts{
		Name: "probe_ssl_last_chain_expiry_timestamp_seconds",
		Help: "Returns the earliest expiry of any validated TLS certificate as an unix timestamp. This indicates the time when connections will start to fail, unless a certificate is renewed.",
	}
	probeSSLLastChainInfoOpts = prometheus.GaugeOpts{
		Name: "probe_ssl_last_chain_info",
		Help: "Contains SSL leaf certificate information",
	}
	probeTLSVersionOpts = prometheus.GaugeOpts{
		Name: "probe_tls_version_info",
		Help: "Returns the TLS version used or NaN when unknown",
	}
	probeTLSCipherOpts = prometheus.GaugeOpts{
		Name: "probe_tls_cipher_info",
		Help: "Returns the TLS cipher negotiated during handshake",
	}
)

// sslLastChainInfoLabels are probe_ssl_last_chain_info's labels, in
// blackbox_exporter's order.
var sslLastChainInfoLabels = []string{"fingerprint_sha256", "subject", "issuer", "subjectalternative", "serialnumber"}
