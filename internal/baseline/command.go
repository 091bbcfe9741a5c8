package baseline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/httpclient"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/thresholds"
)

// Exit codes of the baseline command (internal/cli's).
const (
	exitOK    = cli.ExitOK
	exitError = cli.ExitFailure // Prometheus, input file, data or output failure
	exitUsage = cli.ExitUsage   // bad flags
)

type commandFlags struct {
	promURL       string
	httpConfig    *string
	timeout       model.Duration
	window        model.Duration
	end           string
	step          model.Duration
	rateWindow    model.Duration
	out           string
	report        string
	thresholdsIn  string
	thresholdsOut string
	selectors     Selectors
	selectorSet   map[string]*bool
	guards        Guards
	log           *promslog.Config
}

func (f *commandFlags) register(app *cli.App) {
	app.Flag("prometheus.url", "Prometheus base URL, e.g. http://127.0.0.1:9090.").Required().PlaceHolder("URL").StringVar(&f.promURL)
	f.httpConfig = cli.AddHTTPConfigFlag(app, "Prometheus")
	cli.DurationVar(app.Flag("query.timeout", "Timeout of each Prometheus request."), "2m", &f.timeout)
	cli.DurationVar(app.Flag("window", "How much history to sample, e.g. 1h, 24h, 7d."), "1h", &f.window)
	app.Flag("end", "End of the window: now, an RFC 3339 time or Unix seconds.").Default("now").StringVar(&f.end)
	cli.DurationVar(app.Flag("step", "Resolution: one sample per step."), "1m", &f.step)
	cli.DurationVar(app.Flag("rate.window", "Range of rate() over counters (the generated alerts use 5m)."), "5m", &f.rateWindow)
	app.Flag("out", `JSON baseline file ("-" for standard output).`).Default("baseline.json").StringVar(&f.out)
	app.Flag("report", `Readable report file ("-" for standard output).`).Default("-").StringVar(&f.report)
	app.Flag("thresholds.in", "Thresholds file to start from (default: the built-in defaults).").PlaceHolder("FILE").StringVar(&f.thresholdsIn)
	app.Flag("thresholds.out", "Write the thresholds with the derived levels here, for golive generate.").PlaceHolder("FILE").StringVar(&f.thresholdsOut)
	f.selectorSet = map[string]*bool{}
	for _, sel := range []struct {
		name, help string
		v          *string
	}{
		{"selector.node", `Label matchers for node_* metrics, e.g. job="node" (default: job=~ the thresholds' jobs.host).`, &f.selectors.Node},
		{"selector.app", "Label matchers for http_* metrics (default: the thresholds' jobs.application).", &f.selectors.App},
		{"selector.postgres", "Label matchers for pg_* metrics (default: the thresholds' jobs.postgres).", &f.selectors.Postgres},
		{"selector.redis", "Label matchers for redis_* metrics (default: the thresholds' jobs.redis).", &f.selectors.Redis},
		{"selector.app-errors", `Matchers picking failed requests, e.g. code=~"5.." (default: the thresholds' status_label and error_status).`, &f.selectors.AppErrors},
	} {
		set := new(bool)
		f.selectorSet[sel.name] = set
		app.Flag(sel.name, sel.help).PlaceHolder("MATCHERS").IsSetByUser(set).StringVar(sel.v)
	}
	d := DefaultGuards()
	guard := func(name, help string, v *float64, def float64) {
		app.Flag(name, help).Default(strconv.FormatFloat(def, 'g', -1, 64)).Float64Var(v)
	}
	app.Flag("guard.min-samples", "Fewest samples a quantity needs before thresholds are derived from it.").Default(strconv.Itoa(d.MinSamples)).IntVar(&f.guards.MinSamples)
	guard("guard.cpu-warning-floor", "Lowest derived CPU warning, percent.", &f.guards.CPUWarningFloor, d.CPUWarningFloor)
	guard("guard.cpu-critical-floor", "Lowest derived CPU critical, percent.", &f.guards.CPUCriticalFloor, d.CPUCriticalFloor)
	guard("guard.memory-warning-floor", "Lowest derived memory warning, percent.", &f.guards.MemoryWarningFloor, d.MemoryWarningFloor)
	guard("guard.memory-critical-floor", "Lowest derived memory critical, percent.", &f.guards.MemoryCriticalFloor, d.MemoryCriticalFloor)
	f.log = cli.AddLogFlags(app)
}

// Command is `golive baseline`: sample Prometheus history, write the JSON
// baseline and the report, and optionally a thresholds file with the derived
// levels.
func Command(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "baseline", "Derive alert thresholds from measured Prometheus history with the runbook's formulas.")
	var f commandFlags
	f.register(app)
	if _, code, done := app.Parse(); done {
		return code
	}
	logger := cli.Logger(f.log, env.Stderr)
	plan, err := f.plan()
	var fileErr *inputFileError
	switch {
	case errors.As(err, &fileErr):
		return app.Fail(err)
	case err != nil:
		return app.Usage(err)
	}
	if err := run(ctx, env, logger, plan); err != nil {
		return app.Fail(err)
	}
	return exitOK
}

// inputFileError is a thresholds file that cannot be used: a failure (1),
// not bad usage.
type inputFileError struct{ err error }

func (e *inputFileError) Error() string { return e.err.Error() }
func (e *inputFileError) Unwrap() error { return e.err }

// plan is the validated command line.
type plan struct {
	client     *promclient.Client
	opts       Options
	base       *thresholds.Thresholds
	out        string
	report     string
	thresholds string
}

func (f *commandFlags) plan() (*plan, error) {
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--query.timeout must be positive, got %s", f.timeout)
	}
	hc, err := httpclient.FromFile(*f.httpConfig, "baseline")
	if err != nil {
		return nil, &inputFileError{err}
	}
	client, err := promclient.New(promclient.Options{URL: f.promURL, Timeout: time.Duration(f.timeout), HTTPClient: hc})
	if err != nil {
		return nil, fmt.Errorf("--prometheus.url: %w", err)
	}
	for name, d := range map[string]model.Duration{"--window": f.window, "--step": f.step, "--rate.window": f.rateWindow} {
		if d <= 0 {
			return nil, fmt.Errorf("%s must be positive, got %s", name, d)
		}
	}
	window, step, rate := time.Duration(f.window), time.Duration(f.step), time.Duration(f.rateWindow)
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
			return nil, &inputFileError{fmt.Errorf("--thresholds.in: %w", err)}
		}
	}
	sel := f.selectorsOver(SelectorsFrom(base))
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
func (f *commandFlags) selectorsOver(defaults Selectors) Selectors {
	s := defaults
	for name, pair := range map[string][2]*string{
		"selector.node":       {&s.Node, &f.selectors.Node},
		"selector.app":        {&s.App, &f.selectors.App},
		"selector.postgres":   {&s.Postgres, &f.selectors.Postgres},
		"selector.redis":      {&s.Redis, &f.selectors.Redis},
		"selector.app-errors": {&s.AppErrors, &f.selectors.AppErrors},
	} {
		if *f.selectorSet[name] {
			*pair[0] = *pair[1]
		}
	}
	return s
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
	points := int(p.opts.End.Sub(p.opts.Start)/p.opts.Step) + 1
	requests := (points + promclient.MaxPointsPerSeries - 1) / promclient.MaxPointsPerSeries
	logger.Info("sampling Prometheus history", "prometheus", p.client.Server(),
		"start", p.opts.Start.Format(time.RFC3339), "end", p.opts.End.Format(time.RFC3339), "step", model.Duration(p.opts.Step).String(),
		"quantities", len(Quantities()), "requests_per_quantity", requests)
	p.opts.Progress = func(pr Progress) {
		logger.Info("sampled", "quantity", pr.Quantity, "done", pr.Done, "of", pr.Total, "series", pr.Series,
			"elapsed", pr.Elapsed.Round(time.Millisecond).String())
	}
	if p.opts.RateWindow < p.opts.Step {
		logger.Warn("--rate.window is shorter than --step: rates skip the samples between steps", "rate_window", p.opts.RateWindow, "step", p.opts.Step)
	}
	b, err := Collect(ctx, p.client, p.client.Server(), p.opts)
	if err != nil {
		return err
	}
	if !b.HasData() {
		return fmt.Errorf("no samples for any quantity between %s and %s: check the selectors (%s), --window and --end",
			p.opts.Start.Format(time.RFC3339), p.opts.End.Format(time.RFC3339), p.opts.Selectors)
	}
	derived := 0
	for _, d := range b.Derivations {
		if d.Applied {
			derived++
		} else {
			logger.Warn("thresholds not derived; the existing ones are kept", "quantity", d.Quantity, "reason", strings.Join(d.Notes, "; "))
		}
	}
	if derived == 0 {
		// Write the baseline and the report (they say why), but no
		// thresholds file: it would only repeat the input.
		p.thresholds = ""
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
	if derived == 0 {
		return fmt.Errorf("no threshold could be derived from the samples (see the report); %s written, no thresholds file", p.out)
	}
	logger.Info("baseline written", "out", p.out, "report", p.report, "thresholds", p.thresholds, "derived", derived)
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
