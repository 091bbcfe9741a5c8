package prober

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTPProbe configures the http prober. (Placeholder: to be implemented.)
type HTTPProbe struct{}

// ProbeHTTP is a placeholder until the http prober is implemented.
func ProbeHTTP(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	return false
}
