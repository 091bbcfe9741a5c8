package receiver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/client"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/store/postgres"
)

// DefaultListenAddress is where the receiver listens unless told otherwise.
const DefaultListenAddress = "127.0.0.1:9470"

// flags are `golive receiver`'s command line.
type flags struct {
	configFile string
	check      bool
	web        *web.FlagConfig
	log        *promslog.Config
}

// Command runs `golive receiver`.
func Command(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "receiver", "Receive Alertmanager webhooks and turn them into graded incidents.")
	f := &flags{}
	app.Flag("config.file", "Receiver configuration file.").Default("receiver.yml").StringVar(&f.configFile)
	app.Flag("config.check", "Check the configuration (and web config) and exit.").BoolVar(&f.check)
	f.web = cli.AddWebFlags(app, DefaultListenAddress)
	f.log = cli.AddLogFlags(app)
	if _, code, done := app.Parse(); done {
		return code
	}
	logger := cli.Logger(f.log, env.Stderr)
	cfg, err := loadChecked(f)
	if err != nil {
		return app.Fail(err)
	}
	if f.check {
		fmt.Fprintf(env.Stdout, "OK: %s (storage, auth, grading, SLA and on-call parsed; secrets read; %d notification channels built; web config %s)\n",
			f.configFile, len(cfg.Notify.Channels), orNone(*f.web.WebConfigFile))
		return cli.ExitOK
	}
	logger.Info("Starting golive receiver", "version", version.Info())
	logger.Info("Build context", "build_context", version.BuildContext())
	if err := run(ctx, f, cfg, logger); err != nil {
		logger.Error("receiver stopped", "err", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// loadChecked is LoadChecked plus the web config, so --config.check fails
// on anything that would fail at start.
func loadChecked(f *flags) (*config.Config, error) {
	cfg, err := LoadChecked(f.configFile)
	if err != nil {
		return nil, err
	}
	if webConfig := *f.web.WebConfigFile; webConfig != "" {
		if err := web.Validate(webConfig); err != nil {
			return nil, fmt.Errorf("--web.config.file: %w", err)
		}
	}
	return cfg, nil
}

// LoadChecked loads a config file and checks what the start (and a
// reload) would: secrets, the PostgreSQL DSN and the notification channels.
func LoadChecked(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	secrets, err := cfg.ResolveSecrets()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cfg.Storage.Postgres != nil {
		if err := postgres.ParseDSN(secrets.PostgresDSN.Value()); err != nil {
			return nil, fmt.Errorf("%s: storage.postgres: %w", path, err)
		}
	}
	// Channels read their secret files and parse their templates here, so a
	// bad notify section fails the check, not the first incident.
	if _, err := notify.Build(cfg.Notify.Channels); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := remediate.New(cfg.Remediation, remediate.Options{}); err != nil { // reads credential files
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func run(ctx context.Context, f *flags, cfg *config.Config, logger *slog.Logger) error {
	warnInsecure(cfg, logger)
	app, err := New(ctx, Options{Config: cfg, Logger: logger, WebConfigFile: *f.web.WebConfigFile, ConfigFile: f.configFile})
	if err != nil {
		return err
	}
	defer app.Close()
	stopReloads := reloadOnSIGHUP(ctx, app)
	defer stopReloads()
	l, err := cli.Listen(ctx, f.web)
	if err != nil {
		return err
	}
	storage := "sqlite " + func() string {
		if cfg.Storage.SQLite != nil {
			return cfg.Storage.SQLite.Path
		}
		return ""
	}()
	if cfg.Storage.Postgres != nil {
		storage = "postgres"
	}
	logger.Info("receiver listening", "address", l.Addr().String(), "webhook", DefaultWebhookPath, "storage", storage)
	return app.Serve(ctx, l)
}

// reloadOnSIGHUP reloads the config on every SIGHUP until ctx ends or the
// returned stop is called (signals belong to the command, not the App).
func reloadOnSIGHUP(ctx context.Context, app *App) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				_ = app.Reload() // Reload logs its outcome
			case <-ctx.Done():
				return
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(hup); close(done) }
}

func warnInsecure(cfg *config.Config, logger *slog.Logger) {
	switch {
	case cfg.Auth.Disabled:
		logger.Warn("authentication is disabled (auth.disabled: true): anyone who can reach the receiver can post alerts and change incidents")
	case cfg.Auth.InsecureAllowUnauthenticatedLoopback:
		logger.Warn("demo mode: accepting webhook, API and UI requests from loopback (127.0.0.1, ::1) WITHOUT credentials " +
			"(auth.insecure_allow_unauthenticated_loopback: true); configure auth.bearer_token_file before exposing the receiver")
	}
}

// IncidentsCommand runs `golive incidents`, a client of the receiver's API
// (like amtool for Alertmanager).
func IncidentsCommand(ctx context.Context, env cli.Env) int {
	return client.Command(ctx, env)
}
