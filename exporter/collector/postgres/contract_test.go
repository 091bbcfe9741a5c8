package postgres_test

import (
	"github.com/golive-ops/golive/exporter/collector"
	"github.com/golive-ops/golive/exporter/collector/postgres"
)

// The runner wires *postgres.Collector as a collector that holds resources.
var (
	_ collector.Collector = (*postgres.Collector)(nil)
	_ collector.Closer    = (*postgres.Collector)(nil)
)
