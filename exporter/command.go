package exporter

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"

	"github.com/golive-ops/golive/exporter/config"
	"github.com/golive-ops/golive/internal/cli"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
)

// DefaultListenAddress is where the exporter listens unless told otherwise.
const DefaultListenAddress = ":9469"

// defaultGCPercent is the exporter's GOGC unless the environment sets one.
// Its live heap is under 1 MiB, so at Go's default of 100 the heap goal sits
// at the runtime's 4 MiB floor and most of the heap is garbage waiting for a
// collection. 50 halves that floor: 1.3 MiB less RSS in
// scripts/bench-exporter.sh for about one more GC per scrape (+0.4 ms CPU on
// one P). Prometheus lowers its default the same way (75).
const defaultGCPercent = 50

// defaultMaxProcs is --runtime.gomaxprocs unless GOMAXPROCS is set, as in
// node_exporter. A scrape is a few milliseconds of CPU spread over
// goroutines that mostly wait on the network; more Ps only add cross-thread
// wake-ups and idle GC workers. On the 2-core bench machine one P cuts CPU
// per scrape from 7.4-8.0 ms to 4.6-5.2 ms and the p50 from 6.2 to 4.9 ms.
const defaultMaxProcs = 1

// exampleConfig is where a config with more than this host lives.
const exampleConfig = "deploy/examples/exporter.yml (https://github.com/golive-ops/golive/blob/main/deploy/examples/exporter.yml)"

// hostOnlyConfig is what the exporter collects without --config.file: this
// host, as node_exporter does with no flags.
const hostOnlyConfig = "host: {enabled: true}\n"

// options are `golive exporter`'s command line.
type options struct {
	configFile string
	check      bool
	maxProcs   int
	web        *web.FlagConfig
	log        *promslog.Config
}

// Command runs `golive exporter` (and golive-exporter). Signals are handled
// here only: ctx ends on SIGINT/SIGTERM (main), SIGHUP reloads the config.
func Command(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "exporter", "Serve Prometheus metrics for this host, PostgreSQL, Redis, probes and checks.")
	var o options
	app.Flag("config.file", "Exporter configuration file. Without one, the exporter collects this host only (as node_exporter does).").
		PlaceHolder("FILE").StringVar(&o.configFile)
	app.Flag("config.check", "Check the configuration file, build every collector without connecting, and exit.").BoolVar(&o.check)
	app.Flag("runtime.gomaxprocs", "How many OS threads run Go code at once (GOMAXPROCS).").
		Default(strconv.Itoa(maxProcsDefault())).IntVar(&o.maxProcs)
	o.web = cli.AddWebFlags(app, DefaultListenAddress)
	o.log = cli.AddLogFlags(app)
	if _, code, done := app.Parse(); done {
		return code
	}
	if o.maxProcs < 1 {
		return app.Usage(fmt.Errorf("--runtime.gomaxprocs must be at least 1, got %d", o.maxProcs))
	}
	logger := cli.Logger(o.log, env.Stderr)
	if o.check {
		return checkConfig(app, o, env, logger)
	}
	return serve(ctx, o, logger)
}

// loadConfig reads path, or is the host-only config when path is empty.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Parse([]byte(hostOnlyConfig))
	}
	return config.Load(path)
}

// describe names the config for messages.
func describe(path string) string {
	if path == "" {
		return "built-in host-only config"
	}
	return path
}

// checkConfig loads the config and builds every collector (constructors do
// not connect), then closes them again.
func checkConfig(app *cli.App, o options, env cli.Env, logger *slog.Logger) int {
	cfg, err := loadConfig(o.configFile)
	if err == nil {
		err = web.Validate(*o.web.WebConfigFile)
	}
	if err != nil {
		return app.Fail(err)
	}
	b, err := build(cfg, logger)
	if err != nil {
		return app.Fail(fmt.Errorf("%s: %w", describe(o.configFile), err))
	}
	b.close(logger)
	fmt.Fprintf(env.Stdout, "OK: %s (%d collectors, %d modules)\n", describe(o.configFile), len(b.collectors), len(cfg.Modules))
	return cli.ExitOK
}

// maxProcsDefault is GOMAXPROCS when the environment sets a number, else
// defaultMaxProcs.
func maxProcsDefault() int {
	if n, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && n > 0 {
		return n
	}
	return defaultMaxProcs
}

func serve(ctx context.Context, o options, logger *slog.Logger) int {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	runtime.GOMAXPROCS(o.maxProcs)
	logger.Info("Starting golive exporter", "version", version.Info())
	logger.Info("Build context", "build_context", version.BuildContext())
	if o.configFile == "" {
		logger.Info("No --config.file: collecting this host only; an example config with PostgreSQL, Redis, probes and checks is at " + exampleConfig)
	}
	webConfig := *o.web.WebConfigFile
	if err := web.Validate(webConfig); err != nil {
		logger.Error("invalid web config", "file", webConfig, "err", err)
		return cli.ExitFailure
	}
	app, err := New(Options{ConfigFile: o.configFile, WebConfigFile: webConfig, Logger: logger})
	if err != nil {
		logger.Error("cannot start", "err", err)
		return cli.ExitFailure
	}
	ln, err := cli.Listen(ctx, o.web)
	if err != nil {
		app.Close()
		logger.Error("cannot listen", "err", err)
		return cli.ExitFailure
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				_ = app.Reload() // Reload logs its outcome
			case <-ctx.Done():
				return
			}
		}
	}()

	logger.Info("serving", "config", describe(o.configFile), "address", ln.Addr().String())
	if err := app.Serve(ctx, ln); err != nil {
		logger.Error("serving failed", "err", err)
		return cli.ExitFailure
	}
	logger.Info("golive exporter stopped")
	return cli.ExitOK
}
