package prober

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// ICMPProbe configures the icmp prober. (Placeholder: to be implemented.)
type ICMPProbe struct{}

// ProbeICMP is a placeholder until the icmp prober is implemented.
func ProbeICMP(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	return false
}
