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
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/incident"
	"github.com/golive-ops/golive/receiver/ingest"
	"github.com/golive-ops/golive/receiver/jobs"
	"github.com/golive-ops/golive/receiver/metrics"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/remediate"
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
	Now           func() time.Time
}

// App is one receiver.
type App struct {
	cfg     *config.Config
	log     *slog.Logger
	reg     *prometheus.Registry
	store   store.Store
	engine  *incident.Engine
	metrics *metrics.Metrics
	handler http.Handler
	webCfg  string
	worker  *notify.Worker
	// remediation: the policy engine and the worker of its job queue.
	remedy       *remediate.Engine
	remedyWorker *jobs.Worker
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
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	cfg := o.Config
	secrets, err := cfg.ResolveSecrets()
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: o.Logger, reg: o.Registry, store: o.Store, webCfg: o.WebConfigFile}
	if a.store == nil {
		if a.store, err = openStore(ctx, cfg, secrets, o.Logger); err != nil {
			return nil, err
		}
	}
	if err := a.wire(o, secrets); err != nil {
		if o.Store == nil {
			a.store.Close()
		}
		return nil, err
	}
	return a, nil
}

func openStore(ctx context.Context, cfg *config.Config, s config.Secrets, logger *slog.Logger) (store.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if p := cfg.Storage.Postgres; p != nil {
		return postgres.Open(ctx, postgres.Options{DSN: s.PostgresDSN.Value(), MaxConns: p.MaxConns, Logger: logger})
	}
	return sqlite.Open(ctx, sqlite.Options{Path: cfg.Storage.SQLite.Path, Logger: logger})
}

func (a *App) wire(o Options, secrets config.Secrets) error {
	cfg := a.cfg
	grader, err := incident.NewGrader(cfg.Grading, cfg.Incidents.ValueFrom)
	if err != nil {
		return err
	}
	sla, err := incident.NewSLAPolicy(cfg.SLA)
	if err != nil {
		return fmt.Errorf("sla.business_hours.%w", err)
	}
	oncall := o.OnCall
	if oncall == nil {
		if oncall, err = incident.NewScheduleOnCall(cfg.OnCall); err != nil {
			return err
		}
	}
	channels := o.Channels
	if channels == nil {
		if channels, err = notify.Build(cfg.Notify.Channels); err != nil {
			return err
		}
	}
	notifier := incident.OutboxNotifier{ExternalURL: cfg.ExternalURL, Route: func(c incident.Change) []string {
		return cfg.Notify.ChannelsFor(string(c.Incident.Priority), string(c.Kind))
	}}
	a.metrics = metrics.New(a.reg, a.store, a.log)
	a.worker = notify.NewWorker(a.store, channels, notify.WorkerOptions{
		Owner: workerName(), Results: a.metrics.Notifications, Logger: a.log.With("component", "outbox"), Now: o.Now,
	})
	if err := a.wireRemediation(notifier, o.Now); err != nil {
		return err
	}
	stages := o.Stages
	if stages == nil {
		stages = incident.Stages{notifier, remediationStage(a.remedy, cfg.ExternalURL)}
	}
	a.engine = incident.NewEngine(incident.Options{
		Store: a.store, Grader: grader, SLA: sla, Grouping: incident.NewGrouping(cfg.Incidents.GroupBy),
		ReopenWindow: time.Duration(cfg.Incidents.ReopenWindow), OnCall: oncall, Stages: stages,
		Logger: a.log, Now: o.Now,
		OnBreach: func(p store.Priority, kind string) { a.metrics.SLABreaches.WithLabelValues(string(p), kind).Inc() },
	})
	authn := auth.New(auth.Options{BearerToken: secrets.BearerToken, BasicUser: secrets.BasicUser,
		BasicPassword: secrets.BasicPassword, AllowLoopback: cfg.Auth.InsecureAllowUnauthenticatedLoopback,
		Disabled: cfg.Auth.Disabled}, a.log)
	return a.routes(authn, o.Now)
}

func (a *App) routes(authn *auth.Authenticator, now func() time.Time) error {
	cfg := a.cfg
	mux := http.NewServeMux()
	hook := &ingest.Handler{Ingester: kickOnChange{a.engine, func() { a.worker.Kick(); a.remedyWorker.Kick() }}, Auth: authn, MaxBodyBytes: cfg.Webhook.MaxBodyBytes,
		Limits: webhook.Limits{MaxAlerts: cfg.Webhook.MaxAlerts, MaxLabels: cfg.Webhook.MaxLabels,
			MaxValueBytes: cfg.Webhook.MaxValueBytes, MaxFutureSkew: time.Duration(cfg.Webhook.MaxFutureSkew)},
		Metrics: a.metrics, Logger: a.log, Now: now}
	mux.Handle(DefaultWebhookPath, hook)
	if p := cfg.Webhook.Path; p != "" && p != DefaultWebhookPath {
		mux.Handle(p, hook)
	}
	protected := http.NewServeMux()
	(&api.API{Store: a.store, Actions: a.engine, Logger: a.log}).Register(protected)
	(&remediate.API{Engine: a.remedy, Store: a.store, Logger: a.log}).Register(protected)
	u, err := ui.New(a.store, "", a.log)
	if err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	u.Register(protected)
	mux.Handle("/api/v1/incidents", authn.Wrap(protected))
	mux.Handle("/api/v1/incidents/", authn.Wrap(protected))
	mux.Handle("/api/v1/remediations", authn.Wrap(protected))
	mux.Handle("/api/v1/remediations/", authn.Wrap(protected))
	mux.Handle("/ui", authn.Wrap(protected))
	mux.Handle("/ui/", authn.Wrap(protected))
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("OK\n")) })
	mux.HandleFunc("GET /-/ready", a.ready)
	mux.Handle("GET /{$}", http.RedirectHandler("/ui", http.StatusFound))
	a.handler = mux
	return nil
}

func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.log.Warn("not ready: storage unreachable", "err", err)
		http.Error(w, "storage unreachable", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("OK\n"))
}

// Handler is every route of the receiver.
func (a *App) Handler() http.Handler { return a.handler }

// Engine is the incident engine (for tests and the notify worker).
func (a *App) Engine() *incident.Engine { return a.engine }

// Store is the receiver's store (the outbox worker claims from it).
func (a *App) Store() store.Store { return a.store }

// Metrics are the receiver's metrics (the worker counts notifications).
func (a *App) Metrics() *metrics.Metrics { return a.metrics }

// Serve answers HTTP on l (TLS per the web config) and checks SLA
// deadlines until ctx ends, then shuts down within 10s and waits for the
// background work to stop. It does not close the store; Close does.
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	// Runs after the HTTP shutdown below: the SLA scanner and the outbox
	// worker stop before Serve returns, so Close never pulls the store out
	// from under them.
	defer func() { stopBackground(); background.Wait() }()
	background.Go(func() { a.engine.RunSLA(bgCtx, time.Duration(a.cfg.SLA.CheckInterval)) })
	background.Go(func() { a.worker.Run(bgCtx) })
	background.Go(func() { a.remedyWorker.Run(bgCtx) })
	background.Go(func() { a.remedy.RunExpiry(bgCtx, 30*time.Second) })
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

// wireRemediation builds the remediation engine (reading its credential
// files) and the worker of its job queue.
func (a *App) wireRemediation(notifier incident.OutboxNotifier, now func() time.Time) error {
	cfg := a.cfg
	esc := newEscalator(notifier, cfg.Remediation.EscalateChannels, func(c incident.Change) []string {
		return cfg.Notify.ChannelsFor(string(c.Incident.Priority), string(incident.ChangeEscalated))
	}, a.worker.Kick, now)
	var err error
	a.remedy, err = remediate.New(cfg.Remediation, remediate.Options{Store: a.store, Escalator: esc, Now: now,
		Metrics: remediate.NewMetrics(a.reg, a.store, a.log), Logger: a.log.With("component", "remediation"),
		Kick: func() { a.remedyWorker.Kick() }})
	if err != nil {
		return err
	}
	a.remedyWorker = jobs.New(a.store, a.remedy, jobs.Options{Queue: store.QueueRemediate, Owner: workerName(),
		Parallel: 2, Timeout: 10 * time.Minute, Logger: a.log.With("component", "remediation"), Now: now})
	return nil
}

// Remediation is the remediation engine; RemediationWorker drains its
// queue (tests drive it with RunOnce).
func (a *App) Remediation() *remediate.Engine { return a.remedy }

// RemediationWorker is the worker of the remediation queue.
func (a *App) RemediationWorker() *jobs.Worker { return a.remedyWorker }

// Outbox is the notification worker (tests drive it with RunOnce).
func (a *App) Outbox() *notify.Worker { return a.worker }

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
