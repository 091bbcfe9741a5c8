package exporter

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"

	"github.com/golive-ops/golive/exporter/config"
	"github.com/golive-ops/golive/internal/cli"
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

type flags struct {
	configFile    string
	listenAddress string
	webConfigFile string
	check         bool
	maxProcs      int
	log           cli.LogFlags
}

// Command runs `golive exporter`. Signals are handled here only: ctx ends on
// SIGINT/SIGTERM (main), SIGHUP reloads the config.
func Command(ctx context.Context, env cli.Env) int {
	fs := cli.NewFlagSet("exporter", env)
	var f flags
	fs.StringVar(&f.configFile, "config.file", "exporter.yml", "exporter configuration file")
	fs.StringVar(&f.listenAddress, "web.listen-address", DefaultListenAddress, "address to listen on for HTTP requests")
	fs.StringVar(&f.webConfigFile, "web.config.file", "", "exporter-toolkit web configuration file (TLS, basic auth)")
	fs.BoolVar(&f.check, "config.check", false, "check the configuration file, build every collector without connecting, and exit")
	fs.IntVar(&f.maxProcs, "runtime.gomaxprocs", maxProcsDefault(), "how many OS threads run Go code at once (GOMAXPROCS; default 1, or $GOMAXPROCS)")
	f.log.Register(fs)
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "golive exporter: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if f.maxProcs < 1 {
		fmt.Fprintf(env.Stderr, "golive exporter: --runtime.gomaxprocs must be at least 1, got %d\n", f.maxProcs)
		return 2
	}
	logger, err := f.log.Logger(env.Stderr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "golive exporter: %v\n", err)
		return 2
	}
	if f.check {
		return checkConfig(f, env, logger)
	}
	return serve(ctx, f, logger)
}

// checkConfig loads the config and builds every collector (constructors do
// not connect), then closes them again.
func checkConfig(f flags, env cli.Env, logger *slog.Logger) int {
	cfg, err := config.Load(f.configFile)
	if err == nil {
		err = web.Validate(f.webConfigFile)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "golive exporter: %v\n", err)
		return 1
	}
	b, err := build(cfg, logger)
	if err != nil {
		fmt.Fprintf(env.Stderr, "golive exporter: %s: %v\n", f.configFile, err)
		return 1
	}
	b.close(logger)
	fmt.Fprintf(env.Stdout, "OK: %s (%d collectors, %d modules)\n", f.configFile, len(b.collectors), len(cfg.Modules))
	return 0
}

// maxProcsDefault is GOMAXPROCS when the environment sets a number, else
// defaultMaxProcs.
func maxProcsDefault() int {
	if n, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && n > 0 {
		return n
	}
	return defaultMaxProcs
}

func serve(ctx context.Context, f flags, logger *slog.Logger) int {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	runtime.GOMAXPROCS(f.maxProcs)
	if err := web.Validate(f.webConfigFile); err != nil {
		logger.Error("invalid web config", "file", f.webConfigFile, "err", err)
		return 1
	}
	app, err := New(Options{ConfigFile: f.configFile, WebConfigFile: f.webConfigFile, Logger: logger})
	if err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", f.listenAddress)
	if err != nil {
		app.Close()
		logger.Error("cannot listen", "address", f.listenAddress, "err", err)
		return 1
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

	logger.Info("starting golive exporter", "config", f.configFile, "address", ln.Addr().String())
	if err := app.Serve(ctx, ln); err != nil {
		logger.Error("serving failed", "err", err)
		return 1
	}
	logger.Info("golive exporter stopped")
	return 0
}
