package prober

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// DNSProbe configures the dns prober. (Placeholder: to be implemented.)
type DNSProbe struct{}

// ProbeDNS is a placeholder until the dns prober is implemented.
func ProbeDNS(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	return false
}
