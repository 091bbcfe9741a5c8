package prober

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// TCPProbe configures the tcp prober. (Placeholder: to be implemented.)
type TCPProbe struct{}

// ProbeTCP is a placeholder until the tcp prober is implemented.
func ProbeTCP(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	return false
}
