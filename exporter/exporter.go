// Package exporter serves golive's Prometheus metrics.
package exporter

import (
	"context"
	"fmt"

	"github.com/golive-ops/golive/internal/cli"
)

// Command runs `golive exporter`. (Placeholder until the server lands.)
func Command(ctx context.Context, env cli.Env) int {
	fmt.Fprintln(env.Stderr, "golive exporter: not implemented yet")
	return 1
}
