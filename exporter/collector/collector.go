// Package collector defines what one metrics source implements and runs all
// of them concurrently under the scrape's deadline.
package collector

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector gathers the metrics of one source: the host's CPU, one PostgreSQL
// server, one probe target.
//
// Update is called once per scrape, concurrently with the other collectors,
// with a context whose deadline is a little before the scrape's. It must
// return soon after ctx is done. A source that has an up metric (pg_up,
// redis_up, probe_success) emits it before returning, including when ctx
// expired or the source failed, so a dead backend reads as 0, not as absent.
// The error it returns is logged with a bounded reason and sets
// golive_exporter_collector_success to 0; it never becomes a label.
type Collector interface {
	// Name is the kind of source: host's sub-collectors ("cpu", "meminfo", ...),
	// "postgres", "redis", "probe", "services", "backup", "sqlcheck".
	Name() string
	// Target tells sources of one kind apart: a configured name, a probe
	// target. It is "" for a source that exists once per host.
	Target() string
	Update(ctx context.Context, ch chan<- prometheus.Metric) error
}

// Closer is implemented by collectors that hold resources (connection pools).
// Close is called once after a reload swapped the collector out, or at exit.
type Closer interface {
	Close() error
}
