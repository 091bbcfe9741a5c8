package baseline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/thresholds"
	"github.com/prometheus/common/model"
)

// Exit codes of the baseline command.
const (
	exitOK    = 0
	exitError = 1 // Prometheus, data or output failure
	exitUsage = 2 // bad flags or input files
)

type commandFlags struct {
	promURL       string
	timeout       time.Duration
	window        string
	end           string
	step          string
	rateWindow    string
	out           string
	report        string
	thresholdsIn  string
	thresholdsOut string
	selectors     Selectors
	guards        Guards
	log           cli.LogFlags
}

func (f *commandFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.promURL, "prometheus.url", "", "Prometheus base URL, e.g. http://127.0.0.1:9090 (required)")
	fs.DurationVar(&f.timeout, "query.timeout", 2*time.Minute, "timeout of each Prometheus request")
	fs.StringVar(&f.window, "window", "1h", "how much history to sample, e.g. 1h, 24h, 7d")
	fs.StringVar(&f.end, "end", "now", "end of the window: now, RFC 3339 time or Unix seconds")
	fs.StringVar(&f.step, "step", "1m", "resolution: one sample per step")
	fs.StringVar(&f.rateWindow, "rate.window", "5m", "range of rate() over counters (the generated alerts use 5m)")
	fs.StringVar(&f.out, "out", "baseline.json", `JSON baseline file ("-" for standard output)`)
	fs.StringVar(&f.report, "report", "-", `readable report file ("-" for standard output)`)
	fs.StringVar(&f.thresholdsIn, "thresholds.in", "", "thresholds file to start from (default: the built-in defaults)")
	fs.StringVar(&f.thresholdsOut, "thresholds.out", "", "write the thresholds with the derived levels here, for golive generate")
	fs.StringVar(&f.selectors.Node, "selector.node", "", `label matchers for node_* metrics, e.g. job="node" (default: job=~ the thresholds' jobs.host)`)
	fs.StringVar(&f.selectors.App, "selector.app", "", "label matchers for http_* metrics (default: the thresholds' jobs.application)")
	fs.StringVar(&f.selectors.Postgres, "selector.postgres", "", "label matchers for pg_* metrics (default: the thresholds' jobs.postgres)")
	fs.StringVar(&f.selectors.Redis, "selector.redis", "", "label matchers for redis_* metrics (default: the thresholds' jobs.redis)")
	fs.StringVar(&f.selectors.AppErrors, "selector.app-errors", "", `matchers picking failed requests, e.g. code=~"5.." (default: the thresholds' status_label and error_status)`)
	d := DefaultGuards()
	fs.IntVar(&f.guards.MinSamples, "guard.min-samples", d.MinSamples, "fewest samples a quantity needs before thresholds are derived from it")
	fs.Float64Var(&f.guards.CPUWarningFloor, "guard.cpu-warning-floor", d.CPUWarningFloor, "lowest derived CPU warning, percent")
	fs.Float64Var(&f.guards.CPUCriticalFloor, "guard.cpu-critical-floor", d.CPUCriticalFloor, "lowest derived CPU critical, percent")
	f.log.Register(fs)
}

// Command is `golive baseline`: sample Prometheus history, write the JSON
// baseline and the report, and optionally a thresholds file with the derived
// levels.
func Command(ctx context.Context, env cli.Env) int {
	fs := cli.NewFlagSet("baseline", env)
	var f commandFlags
	f.register(fs)
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(env.Stderr, "golive baseline: %v\n", err)
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	logger, err := f.log.Logger(env.Stderr)
	if err != nil {
		return fail(exitUsage, err)
	}
	plan, err := f.plan(fs)
	if err != nil {
		return fail(exitUsage, err)
	}
	if err := run(ctx, env, logger, plan); err != nil {
		return fail(exitError, err)
	}
	return exitOK
}

// plan is the validated command line.
type plan struct {
	client     *promclient.Client
	opts       Options
	base       *thresholds.Thresholds
	out        string
	report     string
	thresholds string
}

func (f *commandFlags) plan(fs *flag.FlagSet) (*plan, error) {
	if f.promURL == "" {
		return nil, errors.New("--prometheus.url is required")
	}
	client, err := promclient.New(promclient.Options{URL: f.promURL, Timeout: f.timeout})
	if err != nil {
		return nil, fmt.Errorf("--prometheus.url: %w", err)
	}
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--query.timeout must be positive, got %s", f.timeout)
	}
	window, err := positiveDuration("--window", f.window)
	if err != nil {
		return nil, err
	}
	step, err := positiveDuration("--step", f.step)
	if err != nil {
		return nil, err
	}
	rate, err := positiveDuration("--rate.window", f.rateWindow)
	if err != nil {
		return nil, err
	}
	if step > window {
		return nil, fmt.Errorf("--step %s is longer than --window %s", f.step, f.window)
	}
	end, err := parseEnd(f.end, time.Now())
	if err != nil {
		return nil, err
	}
	if f.out == "-" && f.report == "-" {
		return nil, errors.New(`--out and --report cannot both be "-" (standard output)`)
	}
	if err := f.guards.Validate(); err != nil {
		return nil, fmt.Errorf("--guard.*: %w", err)
	}
	base := thresholds.Default()
	if f.thresholdsIn != "" {
		if base, err = thresholds.Load(f.thresholdsIn); err != nil {
			return nil, fmt.Errorf("--thresholds.in: %w", err)
		}
	}
	sel := f.selectorsOver(fs, SelectorsFrom(base))
	if err := sel.Validate(); err != nil {
		return nil, fmt.Errorf("--selector.*: %w", err)
	}
	return &plan{
		client: client,
		opts: Options{
			Start: end.Add(-window), End: end, Step: step, RateWindow: rate,
			Selectors: sel, Guards: f.guards,
		},
		base: base, out: f.out, report: f.report, thresholds: f.thresholdsOut,
	}, nil
}

// selectorsOver keeps the selectors given on the command line (even empty
// ones, which mean "every series") and takes the rest from defaults.
func (f *commandFlags) selectorsOver(fs *flag.FlagSet, defaults Selectors) Selectors {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	s := defaults
	for name, pair := range map[string][2]*string{
		"selector.node":       {&s.Node, &f.selectors.Node},
		"selector.app":        {&s.App, &f.selectors.App},
		"selector.postgres":   {&s.Postgres, &f.selectors.Postgres},
		"selector.redis":      {&s.Redis, &f.selectors.Redis},
		"selector.app-errors": {&s.AppErrors, &f.selectors.AppErrors},
	} {
		if set[name] {
			*pair[0] = *pair[1]
		}
	}
	return s
}

func positiveDuration(flagName, s string) (time.Duration, error) {
	d, err := model.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", flagName, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s must be positive, got %s", flagName, s)
	}
	return time.Duration(d), nil
}

func parseEnd(s string, now time.Time) (time.Time, error) {
	if s == "" || s == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(secs*float64(time.Second))), nil
	}
	return time.Time{}, fmt.Errorf("--end %q: want now, an RFC 3339 time (2024-05-01T12:00:00Z) or Unix seconds", s)
}

func run(ctx context.Context, env cli.Env, logger *slog.Logger, p *plan) error {
	logger.Info("sampling Prometheus history", "prometheus", p.client.Server(),
		"start", p.opts.Start.Format(time.RFC3339), "end", p.opts.End.Format(time.RFC3339), "step", p.opts.Step)
	if p.opts.RateWindow < p.opts.Step {
		logger.Warn("--rate.window is shorter than --step: rates skip the samples between steps", "rate_window", p.opts.RateWindow, "step", p.opts.Step)
	}
	b, err := Collect(ctx, p.client, p.client.Server(), p.opts)
	if err != nil {
		return err
	}
	if !b.HasData() {
		return fmt.Errorf("no samples for any quantity between %s and %s: check the selectors (%+v), --window and --end",
			p.opts.Start.Format(time.RFC3339), p.opts.End.Format(time.RFC3339), p.opts.Selectors)
	}
	for _, d := range b.Derivations {
		if !d.Applied {
			logger.Warn("thresholds not derived; the existing ones are kept", "quantity", d.Quantity, "reason", d.Notes)
		}
	}
	var changes []Change
	if p.thresholds != "" {
		if changes, err = Apply(p.base, b); err != nil {
			return err
		}
		if err := writeOutput(env, p.thresholds, p.base.WriteYAML); err != nil {
			return fmt.Errorf("--thresholds.out: %w", err)
		}
	}
	if err := writeOutput(env, p.out, func(w io.Writer) error { return WriteJSON(w, b) }); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := writeOutput(env, p.report, func(w io.Writer) error { return WriteReport(w, b, changes) }); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	logger.Info("baseline written", "out", p.out, "report", p.report, "thresholds", p.thresholds)
	return nil
}

// writeOutput writes to standard output for "-", else to path through a
// temporary file renamed into place, so a failed run never leaves half a
// thresholds file behind.
func writeOutput(env cli.Env, path string, write func(io.Writer) error) error {
	if path == "-" {
		return write(env.Stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
