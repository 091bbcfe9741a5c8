package prober

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// PostgresProbe configures the postgres prober. (Placeholder: to be implemented.)
type PostgresProbe struct{}

// ProbePostgres is a placeholder until the postgres prober is implemented.
func ProbePostgres(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	return false
}
