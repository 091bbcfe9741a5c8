// Package exporter serves golive's Prometheus metrics: /metrics for
// everything the config lists, /probe for blackbox-style multi-target
// probing, and the /-/ lifecycle endpoints.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-ops/golive/exporter/collector"
	"github.com/golive-ops/golive/exporter/collector/process"
	"github.com/golive-ops/golive/exporter/config"
	"github.com/golive-ops/golive/internal/buildinfo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/exporter-toolkit/web"
)

// Defaults for Options left zero.
const (
	DefaultMaxInFlight = 16
	// DefaultMaxProbesInFlight suits a central prober: 256 probes of hung
	// targets at once, each waiting out its timeout, still leave room.
	DefaultMaxProbesInFlight = 256
	DefaultShutdownTimeout   = 15 * time.Second
)

// Options configure an App.
type Options struct {
	ConfigFile string
	// WebConfigFile is an exporter-toolkit web config (TLS, basic auth);
	// empty serves plain HTTP.
	WebConfigFile string
	Logger        *slog.Logger
	// MaxInFlight bounds concurrent /metrics scrapes; more get 503 at once
	// rather than queueing behind a slow backend. /probe has its own limit,
	// so hung probe targets can never make /metrics answer 503.
	MaxInFlight int
	// MaxProbesInFlight bounds concurrent /probe requests; a probe beyond it
	// answers probe_success 0 at once (a failed probe, not a failed scrape).
	MaxProbesInFlight int
	// ShutdownTimeout bounds how long in-flight requests may finish at exit.
	ShutdownTimeout time.Duration
}

// App is the exporter: its config, collectors and HTTP handlers. Tests start
// one on 127.0.0.1:0 with Serve.
type App struct {
	opts   Options
	logger *slog.Logger
	// process holds the metrics that outlive a config: runtime, process,
	// build and reload. Each scrape registers it in its fresh registry.
	process  prometheus.Collector
	reloadOK prometheus.Gauge
	reloadTS prometheus.Gauge
	inFlight chan struct{}
	// probesInFlight is /probe's own limit; probesRefused counts what it
	// turned away.
	probesInFlight chan struct{}
	probesRefused  prometheus.Counter
	handler        http.Handler

	state    atomic.Pointer[state]
	reloadMu sync.Mutex     // one reload at a time
	closing  sync.WaitGroup // old states waiting for their scrapes to end
	stopping atomic.Bool

	// extra collectors are appended to every build; tests use them to run
	// fakes through the real server.
	extra func() []collector.Collector
}

// state is one loaded config and what was built from it. Scrapes hold the
// read lock while they use it, so closing it (write lock) waits for them.
type state struct {
	cfg    *config.Config
	runner *collector.Runner
	built  *built

	mu     sync.RWMutex
	closed bool
}

// New loads the config file and builds its collectors; an invalid config is
// an error, not a half-working exporter.
func New(opts Options) (*App, error) {
	return newApp(opts, nil)
}

func newApp(opts Options, extra func() []collector.Collector) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.MaxProbesInFlight <= 0 {
		opts.MaxProbesInFlight = DefaultMaxProbesInFlight
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	a := &App{
		opts:   opts,
		logger: opts.Logger,
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "golive_exporter_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful.",
		}),
		reloadTS: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "golive_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload.",
		}),
		inFlight:       make(chan struct{}, opts.MaxInFlight),
		probesInFlight: make(chan struct{}, opts.MaxProbesInFlight),
		probesRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "golive_exporter_probes_refused_total",
			Help: "Probes answered with probe_success 0 at once because MaxProbesInFlight probes were running.",
		}),
		extra: extra,
	}
	a.process = unchecked{
		processCollector(),
		collectors.NewGoCollector(),
		buildinfo.Collector(),
		a.reloadOK, a.reloadTS, a.probesRefused,
	}
	st, err := a.load()
	if err != nil {
		return nil, err
	}
	a.state.Store(st)
	a.markReload(true)
	handler, err := a.routes()
	if err != nil {
		st.close(a.logger)
		return nil, err
	}
	a.handler = handler
	return a, nil
}

// processCollector is the lean process collector, or client_golang's where
// there is no procfs to read (which reports that as an error on each scrape).
func processCollector() prometheus.Collector {
	if c, err := process.New(); err == nil {
		return c
	}
	return collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})
}

// load reads the config file and builds everything from it.
func (a *App) load() (*state, error) {
	cfg, err := loadConfig(a.opts.ConfigFile) // the host alone without a file
	if err != nil {
		return nil, err
	}
	b, err := build(cfg, a.logger)
	if err != nil {
		return nil, fmt.Errorf("building collectors: %w", err)
	}
	if a.extra != nil {
		b.collectors = append(b.collectors, a.extra()...)
	}
	return &state{cfg: cfg, runner: collector.NewRunner(b.collectors, a.logger), built: b}, nil
}

// Reload loads the config file again. All or nothing: the new collectors are
// built first; only then are they swapped in and the old ones closed (after
// their in-flight scrapes end). On error the old config keeps serving and
// golive_exporter_config_last_reload_successful drops to 0.
func (a *App) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if a.stopping.Load() {
		return errors.New("the exporter is shutting down")
	}
	st, err := a.load()
	if err != nil {
		a.markReload(false)
		a.logger.Error("reloading the config failed; the previous config stays in use", "file", a.opts.ConfigFile, "err", err)
		return err
	}
	old := a.state.Swap(st)
	a.markReload(true)
	a.closing.Go(func() { old.close(a.logger) })
	a.logger.Info("config reloaded", "file", a.opts.ConfigFile, "collectors", len(st.built.collectors))
	return nil
}

func (a *App) markReload(ok bool) {
	if ok {
		a.reloadOK.Set(1)
		a.reloadTS.SetToCurrentTime()
		return
	}
	a.reloadOK.Set(0)
}

// acquire returns the current state, read-locked (release it with
// st.mu.RUnlock), or nil once the app is closing. It never waits for a state
// being closed: only close takes the write lock, and Reload calls it after
// swapping in the successor, so a state whose lock is held or awaited by a
// writer has either been replaced (load again) or is being closed by Close.
// Blocking in RLock instead would hold a scrape until the old state's
// in-flight scrapes end, past its own deadline.
func (a *App) acquire() *state {
	for {
		st := a.state.Load()
		if st.mu.TryRLock() {
			if !st.closed {
				return st
			}
			st.mu.RUnlock()
		}
		if a.state.Load() == st {
			return nil
		}
	}
}

func (s *state) close(logger *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.built.close(logger)
}

// Handler returns the exporter's HTTP handler, without TLS or auth (Serve
// adds those from the web config).
func (a *App) Handler() http.Handler { return a.handler }

// Serve serves on ln until ctx ends, then shuts down gracefully within
// Options.ShutdownTimeout and closes the collectors.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	noSystemd := false
	flags := &web.FlagConfig{
		WebListenAddresses: &[]string{ln.Addr().String()},
		WebSystemdSocket:   &noSystemd,
		WebConfigFile:      &a.opts.WebConfigFile,
	}
	served := make(chan error, 1)
	go func() { served <- web.Serve(ln, srv, flags, a.logger) }()

	var err error
	select {
	case err = <-served: // could not serve at all (bad web config)
	case <-ctx.Done():
		a.stopping.Store(true)
		sctx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	a.Close()
	return err
}

// Close releases every collector's resources. Call it once, after serving.
func (a *App) Close() {
	a.stopping.Store(true)
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.closing.Wait()
	a.state.Load().close(a.logger)
}
