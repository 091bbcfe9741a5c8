package prober

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// RedisProbe configures the redis prober. (Placeholder: to be implemented.)
type RedisProbe struct{}

// ProbeRedis is a placeholder until the redis prober is implemented.
func ProbeRedis(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	return false
}
