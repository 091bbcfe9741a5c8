package collector

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Margin bounds: collectors stop a little before the hard deadline so that
// they still have time to emit pg_up 0 and friends, and the runner has time
// to forward them.
const (
	minMargin = 5 * time.Millisecond
	maxMargin = 250 * time.Millisecond
)

// inFlight is how many metrics may wait between the collectors and the
// registry; it smooths bursts without letting a stalled reader hold memory.
const inFlight = 256

// Runner runs a fixed set of collectors concurrently, once per scrape. It is
// safe for concurrent use: each Run is independent.
type Runner struct {
	collectors []Collector
	logger     *slog.Logger
}

// NewRunner returns a runner over collectors. The slice is not copied and
// must not change afterwards.
func NewRunner(collectors []Collector, logger *slog.Logger) *Runner {
	return &Runner{collectors: collectors, logger: logger}
}

// Collectors returns the collectors the runner runs.
func (r *Runner) Collectors() []Collector { return r.collectors }

// result is one collector's outcome within one Run; the runner owns it and
// emits golive_exporter_collector_* from it, so that a collector finishing at
// the last moment cannot race the runner over who reports it.
type result struct {
	done      bool
	abandoned bool
	err       error
	duration  time.Duration
}

// Run updates every collector and forwards their metrics to ch. ctx's
// deadline is the hard deadline: collectors get a context that ends a margin
// before it; at the hard deadline Run stops forwarding, reports the
// collectors still running as failed with reason timeout, and returns. Their
// late output is dropped. Run never sends on ch after it returns.
func (r *Runner) Run(ctx context.Context, ch chan<- prometheus.Metric) {
	start := time.Now()
	collectCtx, cancel := collectorContext(ctx, start)
	defer cancel()

	var (
		mu      sync.Mutex
		results = make([]result, len(r.collectors))
		in      = make(chan prometheus.Metric, inFlight)
		wg      sync.WaitGroup
	)
	for i, c := range r.collectors {
		wg.Go(func() {
			err := c.Update(collectCtx, in)
			d := time.Since(start)
			mu.Lock()
			abandoned := results[i].abandoned
			results[i] = result{done: true, abandoned: abandoned, err: err, duration: d}
			mu.Unlock()
			r.logOutcome(c, err, d, abandoned)
		})
	}
	go func() {
		wg.Wait()
		close(in)
	}()

	if !forward(ctx, in, ch) {
		r.abandonLate(&mu, results, start)
		// The buffer holds all of every finished collector's output: forward
		// it, so that a collector reported successful is never missing
		// metrics (a hung collector's last sends may ride along; they are
		// valid series all the same). Then keep late collectors from
		// blocking on a channel nobody reads.
		for range len(in) {
			m, ok := <-in
			if !ok {
				break
			}
			ch <- m
		}
		go func() {
			for range in {
			}
		}()
	}
	mu.Lock()
	defer mu.Unlock()
	for i, c := range r.collectors {
		emitResult(ch, c, results[i])
	}
}

// abandonLate marks the collectors still running at the hard deadline as
// failed with reason timeout; their later output is dropped.
func (r *Runner) abandonLate(mu *sync.Mutex, results []result, start time.Time) {
	mu.Lock()
	defer mu.Unlock()
	for i, c := range r.collectors {
		res := &results[i]
		if res.done {
			continue
		}
		res.abandoned = true
		res.err = context.DeadlineExceeded
		res.duration = time.Since(start)
		r.logger.Warn("collector missed the scrape deadline; its output is dropped",
			"collector", c.Name(), "target", c.Target(), "reason", ReasonTimeout,
			"duration_seconds", res.duration.Seconds())
	}
}

// forward copies metrics from in to out until in is closed (true) or ctx
// ends (false). Sending on out needs no select: the registry reads it until
// Collect returns.
func forward(ctx context.Context, in <-chan prometheus.Metric, out chan<- prometheus.Metric) bool {
	for {
		select {
		case m, ok := <-in:
			if !ok {
				return true
			}
			out <- m
		case <-ctx.Done():
			return false
		}
	}
}

// collectorContext derives the collectors' context: the hard deadline minus
// a tenth of the budget, kept within [minMargin, maxMargin].
func collectorContext(ctx context.Context, now time.Time) (context.Context, context.CancelFunc) {
	hard, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(max(hard.Sub(now)/10, minMargin), maxMargin)
	return context.WithDeadline(ctx, hard.Add(-margin))
}

func (r *Runner) logOutcome(c Collector, err error, d time.Duration, abandoned bool) {
	switch {
	case abandoned:
		r.logger.Debug("collector finished after the scrape deadline",
			"collector", c.Name(), "target", c.Target(), "duration_seconds", d.Seconds(), "err", err)
	case err != nil:
		// err is the collector's own description; collectors keep secrets out
		// of their errors, and it never reaches a label.
		r.logger.Warn("collector failed",
			"collector", c.Name(), "target", c.Target(), "reason", Classify(err),
			"duration_seconds", d.Seconds(), "err", err)
	default:
		r.logger.Debug("collector succeeded",
			"collector", c.Name(), "target", c.Target(), "duration_seconds", d.Seconds())
	}
}

// Scrape returns a prometheus.Collector for one scrape: registered in a fresh
// registry, its Collect runs r under ctx. It is unchecked (Describe sends
// nothing) because the set of metrics depends on what the sources report.
func (r *Runner) Scrape(ctx context.Context) prometheus.Collector {
	return scrape{ctx: ctx, runner: r}
}

type scrape struct {
	ctx    context.Context
	runner *Runner
}

func (s scrape) Describe(chan<- *prometheus.Desc)    {}
func (s scrape) Collect(ch chan<- prometheus.Metric) { s.runner.Run(s.ctx, ch) }
