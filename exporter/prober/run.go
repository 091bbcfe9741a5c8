package prober

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Run probes target with module, the way blackbox_exporter's /probe handler
// does: it registers probe_success and probe_duration_seconds in registry
// (always, whatever happens), runs Probers[module.Prober] under ctx capped
// by module.Timeout, and reports whether the probe succeeded.
//
// The prober's deadline falls a margin before ctx's (see MaxMargin), so
// that what it registers on giving up is in the answer. Run returns by
// ctx's deadline even if a prober overstays it; the prober's late result is
// then ignored and probe_success is 0. logger should already
// carry the module and target.
func Run(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	success, _ := run(ctx, target, module, registry, logger)
	return success
}

// run is Run that also tells whether the scrape's deadline (ctx's), rather
// than the module's own timeout, cut the probe short.
func run(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) (success, cut bool) {
	successGauge := prometheus.NewGauge(probeSuccessOpts)
	durationGauge := prometheus.NewGauge(probeDurationOpts)
	registry.MustRegister(successGauge, durationGauge)

	start := time.Now()
	success, cut = runProber(ctx, target, module, registry, logger)
	duration := time.Since(start).Seconds()
	durationGauge.Set(duration)
	if success {
		successGauge.Set(1)
		logger.Debug("Probe succeeded", "duration_seconds", duration)
	} else {
		logger.Info("Probe failed", "duration_seconds", duration)
	}
	return success, cut
}

// MaxMargin bounds how long before the answer's deadline the prober's own
// deadline falls: a prober that honours its context then still has time to
// register what it found (redis_up 0, pg_up 0) before the answer is written,
// as redis_exporter's and postgres_exporter's answers always carry their
// _up metric. It is a tenth of the budget, at most MaxMargin.
const MaxMargin = 250 * time.Millisecond

// Refused registers what a probe that was not run answers: probe_success 0
// and probe_duration_seconds 0, as a probe that failed at once.
func Refused(registry *prometheus.Registry) {
	registry.MustRegister(prometheus.NewGauge(probeSuccessOpts), prometheus.NewGauge(probeDurationOpts))
}

func runProber(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) (success, cut bool) {
	probe, ok := Probers[module.Prober]
	if !ok {
		logger.Error("Unknown prober", "prober", module.Prober)
		return false, false
	}
	// The prober's deadline is the module's timeout or, when the scrape's
	// deadline comes first, a margin before it; a probe cut by the scrape
	// is reported as such.
	start := time.Now()
	var deadline time.Time
	wait := ctx // how long Run waits for a prober that overstays
	scrapeDL, scrapeBinds := ctx.Deadline()
	if scrapeBinds {
		deadline = scrapeDL.Add(-min(time.Until(scrapeDL)/10, MaxMargin))
	}
	if module.Timeout > 0 {
		if moduleDL := start.Add(module.Timeout); !scrapeBinds || moduleDL.Before(deadline) {
			deadline, scrapeBinds = moduleDL, false
			var cancel context.CancelFunc
			wait, cancel = context.WithDeadline(ctx, moduleDL.Add(min(module.Timeout/10, MaxMargin)))
			defer cancel()
		}
	}
	proberCtx := ctx
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		proberCtx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	logger.Debug("Beginning probe", "prober", module.Prober, "timeout_seconds", timeoutSeconds(proberCtx))

	done := make(chan bool, 1) // buffered: a late prober must not leak blocked
	go func() { done <- probe(proberCtx, target, module, registry, logger) }()
	select {
	case success := <-done:
		return success, !success && scrapeBinds && proberCtx.Err() != nil
	case <-wait.Done():
	}
	select {
	case success := <-done: // finished at the deadline: keep its answer
		return success, !success && scrapeBinds
	default:
		logger.Warn("Prober did not return by its deadline", "prober", module.Prober)
		return false, scrapeBinds || ctx.Err() != nil
	}
}

func timeoutSeconds(ctx context.Context) float64 {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return time.Until(deadline).Seconds()
}
