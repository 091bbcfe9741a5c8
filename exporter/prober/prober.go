// Package prober probes one target with one module, blackbox_exporter style.
package prober

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// ProbeFn probes target as module describes and registers what it measured
// in registry (a fresh one per probe). It returns whether the probe
// succeeded; the caller emits probe_success and probe_duration_seconds.
// ctx carries the probe's deadline; a ProbeFn must return soon after it.
type ProbeFn func(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool
