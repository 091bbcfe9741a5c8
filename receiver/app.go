// Package receiver is `golive receiver`: an Alertmanager webhook receiver
// that turns alerts into graded incidents with SLA deadlines, a timeline,
// a JSON API, a small UI and an outbox for notifications.
//
// The App is a value: tests build one with New and Serve it on
// 127.0.0.1:0; Command adds flags, config loading and signals.
package receiver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/golive-ops/golive/internal/buildinfo"
	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/dailyreport"
	"github.com/golive-ops/golive/receiver/gate"
	"github.com/golive-ops/golive/receiver/incident"
	"github.com/golive-ops/golive/receiver/ingest"
	"github.com/golive-ops/golive/receiver/jobs"
	"github.com/golive-ops/golive/receiver/metrics"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/readiness"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/retention"
	"github.com/golive-ops/golive/receiver/rollout"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/postgres"
	"github.com/golive-ops/golive/receiver/store/sqlite"
	"github.com/golive-ops/golive/receiver/ui"
	"github.com/golive-ops/golive/receiver/webhook"
)

// DefaultWebhookPath is always served; webhook.path adds another.
const DefaultWebhookPath = "/api/v1/alertmanager"

// Options build an App. Only Config is required.
type Options struct {
	Config *config.Config
	Logger *slog.Logger
	// Registry receives the receiver's metrics (nil: a new one, which also
	// gets the Go and process collectors).
	Registry *prometheus.Registry
	// Store overrides the configured storage (tests).
	Store store.Store
	// Stages run after grading (nil: an OutboxNotifier routing by the
	// config's notify section, then the remediation planner).
	Stages incident.Stages
	// Channels deliver the outbox (nil: built from the notify section).
	Channels map[string]notify.Channel
	// OnCall fills assignees (nil: the config's day/night shifts).
	OnCall incident.OnCall
	// WebConfigFile is exporter-toolkit's TLS/auth web config ("" none).
	WebConfigFile string
	// ConfigFile is where Reload reads the config again ("" : Reload fails).
	ConfigFile string
	Now        func() time.Time
}

// App is one receiver.
type App struct {
	opts     Options
	log      *slog.Logger
	reg      *prometheus.Registry
	store    store.Store
	metrics  *metrics.Metrics
	retMet   *retention.Metrics
	gateMet  *gate.Metrics
	reloadOK prometheus.Gauge
	reloadTS prometheus.Gauge
	webCfg   string
	// The remediation worker outlives reloads: a reload must not cut a
	// running attempt short (it would become unknown). It runs each job on
	// the engine of the config in use.
	remedyMet    *remediate.Metrics
	remedyWorker *jobs.Worker

	// gen is everything built from the config; Reload builds a new one and
	// swaps it in whole, so a request or a background loop always sees one
	// config. reloaded tells Serve to restart the background loops on it.
	gen      atomic.Pointer[generation]
	reloadMu sync.Mutex
	reloaded chan struct{}
}

// generation is what one config builds.
type generation struct {
	cfg       *config.Config
	engine    *incident.Engine
	worker    *notify.Worker
	remedy    *remediate.Engine
	retention *retention.Runner
	report    *dailyreport.Schedule // nil: no report section
	gates     *gate.Service
	rollouts  *rollout.Runner
	handler   http.Handler
	onCall    incident.OnCall // the console's on-call page shows its schedules
}

// New opens the store (running migrations) and wires everything.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildinfo.Collector())
	}
	cfg := o.Config
	secrets, err := cfg.ResolveSecrets()
	if err != nil {
		return nil, err
	}
	a := &App{opts: o, log: o.Logger, reg: o.Registry, store: o.Store, webCfg: o.WebConfigFile, reloaded: make(chan struct{}, 1)}
	if a.store == nil {
		if a.store, err = openStore(ctx, cfg, secrets, o.Logger); err != nil {
			return nil, err
		}
	}
	a.metrics = metrics.New(a.reg, a.store, a.log)
	a.retMet = retention.NewMetrics(a.reg)
	a.gateMet = gate.NewMetrics(a.reg)
	a.rolloutMetrics()
	a.reg.MustRegister(readiness.NewCollector(a.store, a.log))
	a.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{Name: "golive_receiver_config_last_reload_successful",
		Help: "Whether the last configuration reload attempt was successful."})
	a.reloadTS = prometheus.NewGauge(prometheus.GaugeOpts{Name: "golive_receiver_config_last_reload_success_timestamp_seconds",
		Help: "Timestamp of the last successful configuration reload."})
	a.reg.MustRegister(a.reloadOK, a.reloadTS)
	a.remedyMet = remediate.NewMetrics(a.reg, a.store, a.log)
	a.remedyWorker = jobs.New(a.store, jobs.HandlerFunc(func(ctx context.Context, it store.OutboxItem) (bool, error) {
		return a.gen.Load().remedy.Handle(ctx, it)
	}), jobs.Options{Queue: store.QueueRemediate, Owner: workerName(), Parallel: 2, Timeout: 10 * time.Minute,
		Logger: a.log.With("component", "remediation"), Now: o.Now})
	gen, err := a.build(cfg, secrets)
	if err != nil {
		if o.Store == nil {
			a.store.Close()
		}
		return nil, err
	}
	a.gen.Store(gen)
	a.markReload(true)
	return a, nil
}

func openStore(ctx context.Context, cfg *config.Config, s config.Secrets, logger *slog.Logger) (store.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	timeout := time.Duration(cfg.Storage.Timeout)
	if p := cfg.Storage.Postgres; p != nil {
		return postgres.Open(ctx, postgres.Options{DSN: s.PostgresDSN.Value(), MaxConns: p.MaxConns, Logger: logger, Timeout: timeout})
	}
	// Less free space than one webhook body may need is not ready.
	return sqlite.Open(ctx, sqlite.Options{Path: cfg.Storage.SQLite.Path, Logger: logger, Timeout: timeout,
		MinFreeBytes: cfg.Webhook.MaxBodyBytes})
}

// build makes everything a config needs, without touching what is in use.
func (a *App) build(cfg *config.Config, secrets config.Secrets) (*generation, error) {
	o := a.opts
	grader, err := incident.NewGrader(cfg.Grading, cfg.Incidents.ValueFrom)
	if err != nil {
		return nil, err
	}
	sla, err := incident.NewSLAPolicy(cfg.SLA)
	if err != nil {
		return nil, fmt.Errorf("sla.business_hours.%w", err)
	}
	oncall := o.OnCall
	if oncall == nil {
		if oncall, err = incident.NewScheduleOnCall(cfg.OnCall); err != nil {
			return nil, err
		}
	}
	channels := o.Channels
	if channels == nil {
		if channels, err = notify.Build(cfg.Notify.Channels); err != nil {
			return nil, err
		}
	}
	notifier := incident.OutboxNotifier{ExternalURL: cfg.ExternalURL, Route: func(c incident.Change) []string {
		return cfg.Notify.ChannelsFor(string(c.Incident.Priority), string(c.Kind))
	}}
	g := &generation{cfg: cfg}
	if g.report, err = dailyreport.New(cfg.Report, cfg.Notify.Channels, cfg.OnCall.TimeZone, a.store, a.log.With("component", "report"), o.Now); err != nil {
		return nil, err
	}
	if g.report != nil {
		channels = maps.Clone(channels)
		channels[dailyreport.ChannelName] = g.report.Channel()
	}
	g.worker = notify.NewWorker(a.store, channels, notify.WorkerOptions{
		Owner: workerName(), Results: a.metrics.Notifications, Logger: a.log.With("component", "outbox"), Now: o.Now,
	})
	if g.remedy, err = a.buildRemediation(cfg, notifier, g.worker); err != nil {
		return nil, err
	}
	stages := o.Stages
	if stages == nil {
		stages = incident.Stages{notifier, remediationStage(g.remedy, cfg.ExternalURL)}
	}
	g.engine = incident.NewEngine(incident.Options{
		Store: a.store, Grader: grader, SLA: sla, Grouping: incident.NewGrouping(cfg.Incidents.GroupBy),
		ReopenWindow: time.Duration(cfg.Incidents.ReopenWindow), OnCall: oncall, Stages: stages,
		Logger: a.log, Now: o.Now,
		OnBreach: func(p store.Priority, kind string) { a.metrics.SLABreaches.WithLabelValues(string(p), kind).Inc() },
	})
	g.retention = &retention.Runner{Store: a.store, Config: cfg.Retention, Metrics: a.retMet,
		Logger: a.log.With("component", "retention"), Now: o.Now}
	sessionKey, err := cfg.UI.SessionKey()
	if err != nil {
		return nil, err
	}
	g.onCall = oncall
	authn := auth.New(auth.Options{BearerToken: secrets.BearerToken, BasicUser: secrets.BasicUser,
		BasicPassword: secrets.BasicPassword, AllowLoopback: cfg.Auth.InsecureAllowUnauthenticatedLoopback,
		Disabled: cfg.Auth.Disabled, Users: cfg.UI.Users, SessionKey: sessionKey, SessionTTL: cfg.UI.TTL(),
		SecureCookies: strings.HasPrefix(cfg.ExternalURL, "https://"), Now: o.Now}, a.log)
	if g.gates, err = gate.New(gate.Options{Section: cfg.Gate, Store: a.store, Metrics: a.gateMet, Allowed: authn.Allowed,
		Readiness: readiness.Gate{Store: a.store}, Logger: a.log.With("component", "gate"), Now: o.Now}); err != nil {
		return nil, err
	}
	a.buildRollouts(g, slices.Collect(maps.Keys(channels)))
	if g.handler, err = a.routes(g, authn); err != nil {
		return nil, err
	}
	return g, nil
}

func (a *App) routes(g *generation, authn *auth.Authenticator) (http.Handler, error) {
	cfg := g.cfg
	mux := http.NewServeMux()
	hook := &ingest.Handler{Ingester: kickOnChange{g.engine, func() { g.worker.Kick(); a.remedyWorker.Kick() }}, Auth: authn, MaxBodyBytes: cfg.Webhook.MaxBodyBytes,
		Limits: webhook.Limits{MaxAlerts: cfg.Webhook.MaxAlerts, MaxLabels: cfg.Webhook.MaxLabels,
			MaxValueBytes: cfg.Webhook.MaxValueBytes, MaxFutureSkew: time.Duration(cfg.Webhook.MaxFutureSkew)},
		Timeout: time.Duration(cfg.Storage.Timeout), InFlight: ingest.NewInFlight(cfg.Webhook.MaxInFlightBytes),
		Metrics: a.metrics, Logger: a.log, Now: a.opts.Now}
	mux.Handle(DefaultWebhookPath, hook)
	if p := cfg.Webhook.Path; p != "" && p != DefaultWebhookPath {
		mux.Handle(p, hook)
	}
	protected := http.NewServeMux()
	u, err := ui.New(ui.Options{Store: a.store, Auth: authn, Config: cfg.UI, Schedules: ui.SchedulesOf(g.onCall), Logger: a.log, Now: a.opts.Now})
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	if err := addConsolePages(u, g.gates); err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	(&api.API{Store: a.store, Actions: g.engine, Logger: a.log, Forms: u}).Register(protected)
	(&remediate.API{Engine: g.remedy, Store: a.store, Logger: a.log, Forms: u}).Register(protected)
	u.AddPage(ui.Page{Slot: ui.SlotReadiness, Handler: &readiness.Page{Store: a.store, UI: u, Logger: a.log, Now: a.opts.Now}})
	u.Register(protected)
	u.RegisterPublic(mux)
	(&readiness.API{Store: a.store, Channels: channelNames(cfg.Notify.Channels), Logger: a.log, Now: a.opts.Now}).Register(protected)
	mux.Handle("/api/v1/readiness/", authn.Wrap(protected))
	mux.Handle("/api/v1/incidents", authn.Wrap(protected))
	mux.Handle("/api/v1/incidents/", authn.Wrap(protected))
	mux.Handle("/api/v1/remediations", authn.Wrap(protected))
	mux.Handle("/api/v1/remediations/", authn.Wrap(protected))
	mux.Handle("/ui", authn.Wrap(protected))
	(&rollout.API{Runner: g.rollouts, Store: a.store, Logger: a.log.With("component", "rollout")}).Register(protected)
	mux.Handle("/api/v1/rollouts", authn.Wrap(protected))
	mux.Handle("/api/v1/rollouts/", authn.Wrap(protected))
	mux.Handle("/ui/", authn.Wrap(protected))
	g.gates.Register(mux) // each gate route authenticates itself (Flagger sends no headers)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("Healthy\n")) }) // as the exporter
	mux.HandleFunc("GET /-/ready", a.ready)
	// Reloading changes what the receiver does, so it needs the same
	// credentials as the API (Prometheus guards it with a flag instead).
	mux.Handle("POST /-/reload", authn.Wrap(http.HandlerFunc(a.serveReload)))
	mux.Handle("GET /{$}", http.RedirectHandler("/ui", http.StatusFound))
	return ui.SecurityHeaders(mux), nil
}

// addConsolePages puts the remediation and gates pages in the console.
func addConsolePages(u *ui.UI, gates *gate.Service) error {
	rem, err := u.RemediationPage()
	if err != nil {
		return err
	}
	u.AddPage(rem)
	gp, err := u.GatesPage(gates)
	if err != nil {
		return err
	}
	u.AddPage(gp)
	return nil
}

// ready answers 200 only if a webhook could be stored now: the store
// commits a heartbeat (and on SQLite has room for one more body).
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	if err := a.store.CheckWritable(r.Context()); err != nil {
		a.log.Warn("not ready: storage cannot take a write", "err", err)
		http.Error(w, "storage cannot take a write: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("OK\n"))
}

func (a *App) serveReload(w http.ResponseWriter, _ *http.Request) {
	if err := a.Reload(); err != nil {
		http.Error(w, "reload failed, the previous config stays in use: "+err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte("config reloaded\n"))
}

// Reload reads Options.ConfigFile again. All or nothing: everything the
// new config needs is built (secrets read, templates parsed, rules
// compiled) before anything is swapped, so a bad file leaves the running
// config untouched and sets golive_receiver_config_last_reload_successful
// to 0. The store is not rebuilt: a changed storage section needs a
// restart and fails the reload.
func (a *App) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	err := a.reload()
	a.markReload(err == nil)
	if err != nil {
		a.log.Error("reloading the config failed; the previous config stays in use", "file", a.opts.ConfigFile, "err", err)
		return err
	}
	a.log.Info("config reloaded", "file", a.opts.ConfigFile)
	return nil
}

func (a *App) reload() error {
	if a.opts.ConfigFile == "" {
		return errors.New("no config file to reload from")
	}
	cfg, err := LoadChecked(a.opts.ConfigFile)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(cfg.Storage, a.gen.Load().cfg.Storage) {
		return fmt.Errorf("%s: storage: changes need a restart", a.opts.ConfigFile)
	}
	secrets, err := cfg.ResolveSecrets()
	if err != nil {
		return fmt.Errorf("%s: %w", a.opts.ConfigFile, err)
	}
	gen, err := a.build(cfg, secrets)
	if err != nil {
		return fmt.Errorf("%s: %w", a.opts.ConfigFile, err)
	}
	a.gen.Store(gen)
	select {
	case a.reloaded <- struct{}{}:
	default: // Serve restarts on the newest generation anyway
	}
	return nil
}

func (a *App) markReload(ok bool) {
	if ok {
		a.reloadOK.Set(1)
		a.reloadTS.Set(float64(a.opts.Now().Unix()))
		return
	}
	a.reloadOK.Set(0)
}

// Handler is every route of the receiver, of the config in use.
func (a *App) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.gen.Load().handler.ServeHTTP(w, r) })
}

// Engine is the incident engine (for tests and the notify worker).
func (a *App) Engine() *incident.Engine { return a.gen.Load().engine }

// Gates evaluates the rollout gates of the config in use (the rollout runner calls
// Gates().Evaluate in-process).
func (a *App) Gates() *gate.Service { return a.gen.Load().gates }

// Store is the receiver's store (the outbox worker claims from it).
func (a *App) Store() store.Store { return a.store }

// Metrics are the receiver's metrics (the worker counts notifications).
func (a *App) Metrics() *metrics.Metrics { return a.metrics }

// Serve answers HTTP on l (TLS per the web config) and checks SLA
// deadlines until ctx ends, then shuts down within 10s and waits for the
// background work to stop. It does not close the store; Close does.
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	// Runs after the HTTP shutdown below: the SLA scanner and the outbox
	// worker stop before Serve returns, so Close never pulls the store out
	// from under them.
	defer func() { stopBackground(); background.Wait() }()
	background.Go(func() { a.runBackground(bgCtx) })
	background.Go(func() { a.remedyWorker.Run(bgCtx) })
	errc := make(chan error, 1)
	go func() {
		systemd := false
		addrs := []string{l.Addr().String()}
		errc <- web.Serve(l, srv, &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &a.webCfg}, a.log)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runBackground runs the SLA scanner, the outbox worker and retention of
// the config in use, and after a reload stops them and starts them on the
// new one. A send cut short by the stop is retried as any failed attempt
// (the outbox is at least once), and webhooks keep being stored meanwhile.
func (a *App) runBackground(ctx context.Context) {
	for {
		g := a.gen.Load()
		genCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { g.engine.RunSLA(genCtx, time.Duration(g.cfg.SLA.CheckInterval)) })
		wg.Go(func() { g.worker.Run(genCtx) })
		wg.Go(func() { g.retention.Run(genCtx) })
		wg.Go(func() { g.remedy.RunExpiry(genCtx, 30*time.Second) })
		wg.Go(func() { g.rollouts.Run(genCtx) })
		if g.report != nil {
			wg.Go(func() { g.report.Run(genCtx) })
		}
		select {
		case <-ctx.Done():
		case <-a.reloaded:
		}
		stop()
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
	}
}

// kickOnChange wakes the outbox worker after a webhook committed incident
// changes, so a page leaves now rather than at the next poll.
type kickOnChange struct {
	engine *incident.Engine
	kick   func() // the notification and remediation workers
}

func (k kickOnChange) Ingest(ctx context.Context, msg *webhook.Message, raw []byte) (incident.Result, error) {
	res, err := k.engine.Ingest(ctx, msg, raw)
	if err == nil && len(res.Changes) > 0 {
		k.kick()
	}
	return res, err
}

// buildRemediation builds the remediation engine of a config (reading its
// credential files); escalations go through the notification stage.
func (a *App) buildRemediation(cfg *config.Config, notifier incident.OutboxNotifier, worker *notify.Worker) (*remediate.Engine, error) {
	esc := newEscalator(notifier, cfg.Remediation.EscalateChannels, func(c incident.Change) []string {
		return cfg.Notify.ChannelsFor(string(c.Incident.Priority), string(incident.ChangeEscalated))
	}, worker.Kick, a.opts.Now)
	return remediate.New(cfg.Remediation, remediate.Options{Store: a.store, Escalator: esc, Now: a.opts.Now,
		Metrics: a.remedyMet, Logger: a.log.With("component", "remediation"), Kick: func() { a.remedyWorker.Kick() }})
}

// Remediation is the remediation engine of the config in use.
func (a *App) Remediation() *remediate.Engine { return a.gen.Load().remedy }

// RemediationWorker is the worker of the remediation queue (tests drive
// it with RunOnce).
func (a *App) RemediationWorker() *jobs.Worker { return a.remedyWorker }

// Outbox is the notification worker (tests drive it with RunOnce).
func (a *App) Outbox() *notify.Worker { return a.gen.Load().worker }

// workerName identifies this replica in outbox leases.
func workerName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "receiver"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// Close closes the store.
func (a *App) Close() error { return a.store.Close() }
