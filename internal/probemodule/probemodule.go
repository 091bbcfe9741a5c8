// Package probemodule runs golive's exporter probers in-process, as a
// library, with modules in the exporter config's syntax: the ones of an
// exporter config file (the modules monitoring uses) plus a command's own.
// golive readiness and the remediation post-check both use it, so each
// sees exactly what /probe?module=&target= would.
package probemodule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	exporterconfig "github.com/golive-ops/golive/exporter/config"
	"github.com/golive-ops/golive/exporter/prober"
)

// Set is modules by name.
type Set map[string]prober.Module

// FromExporterConfig is the modules of the exporter config file at path
// (empty: none).
func FromExporterConfig(path string) (Set, error) {
	s := Set{}
	if path == "" {
		return s, nil
	}
	ec, err := exporterconfig.Load(path)
	if err != nil {
		return nil, err
	}
	maps.Copy(s, ec.Modules)
	return s, nil
}

// Add adds a module of the command's own; a name the exporter config
// defines too is an error, not a silent override.
func (s Set) Add(name string, m prober.Module) error {
	if _, dup := s[name]; dup {
		return errors.New("is defined twice (here and in the exporter config)")
	}
	s[name] = m
	return nil
}

// Lookup is the module called name; from describes where modules come
// from, for the error ("the checklist or the exporter config").
func (s Set) Lookup(name, from string) (prober.Module, error) {
	m, ok := s[name]
	if !ok {
		return m, fmt.Errorf("%q is not a module of %s (have: %s)", name, from, orNone(slices.Sorted(maps.Keys(s))))
	}
	return m, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Result is one probe's outcome.
type Result struct {
	Success bool
	// Reason is the last thing the prober complained about, in its own
	// words ("Invalid HTTP response status code status_code=503"), as the
	// exporter's log would show it; empty when it said nothing.
	Reason string
	// Metrics are what /probe would have exposed.
	Metrics []*dto.MetricFamily
}

// Run probes target with m, bounded by ctx and the module's timeout.
func Run(ctx context.Context, target string, m prober.Module) (Result, error) {
	reg := prometheus.NewRegistry()
	rec := &logRecorder{}
	ok := prober.Run(ctx, target, m, reg, slog.New(rec))
	mfs, err := reg.Gather()
	if err != nil {
		return Result{}, fmt.Errorf("gathering the probe's metrics: %w", err)
	}
	return Result{Success: ok, Reason: rec.reason(), Metrics: mfs}, nil
}

// logRecorder keeps what a prober logged.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
	attrs []slog.Attr
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	if rec.Level < slog.LevelInfo || rec.Message == "Probe failed" {
		return nil
	}
	var b strings.Builder
	b.WriteString(rec.Message)
	attrs := slices.Clone(r.attrs)
	rec.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
	for _, a := range attrs {
		if a.Key == "duration_seconds" || a.Key == "timeout_seconds" {
			continue
		}
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}

func (r *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logChild{r: r, attrs: as}
}
func (r *logRecorder) WithGroup(string) slog.Handler { return r }

func (r *logRecorder) reason() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == 0 {
		return ""
	}
	return r.lines[len(r.lines)-1]
}

// logChild is a logger.With of the recorder: same lines, more attributes.
type logChild struct {
	r     *logRecorder
	attrs []slog.Attr
}

func (c *logChild) Enabled(context.Context, slog.Level) bool { return true }
func (c *logChild) Handle(ctx context.Context, rec slog.Record) error {
	rec = rec.Clone()
	rec.AddAttrs(c.attrs...)
	return c.r.Handle(ctx, rec)
}
func (c *logChild) WithAttrs(as []slog.Attr) slog.Handler {
	return &logChild{r: c.r, attrs: append(slices.Clone(c.attrs), as...)}
}
func (c *logChild) WithGroup(string) slog.Handler { return c }
