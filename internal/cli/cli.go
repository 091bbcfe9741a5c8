// Package cli is the contract between main and each golive command, and the
// one place where the Prometheus family's command-line conventions live:
// kingpin flags, --version and -h/--help on every command, promslog's
// --log.level/--log.format, exporter-toolkit's --web.* flags, common/config's
// --http.config.file, model.Duration durations, and one set of exit codes:
//
//	0 (ExitOK)      success, and --help/--version
//	1 (ExitFailure) the command ran and failed (bad config file, unreachable server, ...)
//	2 (ExitUsage)   bad usage: unknown flag or command, missing or malformed argument
//
// # Declaring a command
//
// A command is a func(ctx, Env) int in its own package, wired in main's
// commands.go by one line:
//
//	"thing": {Summary: "do the thing", Run: thing.Command},
//
// Its Command builds a cli.App, declares its flags into an options struct
// (no package-level flags, no init()), parses, and passes the options down:
//
//	type options struct {
//		configFile string
//		timeout    model.Duration
//		web        *web.FlagConfig
//		log        *promslog.Config
//	}
//
//	func Command(ctx context.Context, env cli.Env) int {
//		app := cli.NewApp(env, "thing", "Does the thing.")
//		var o options
//		app.Flag("config.file", "Thing configuration file.").Default("thing.yml").StringVar(&o.configFile)
//		cli.DurationVar(app.Flag("timeout", "How long to wait."), "30s", &o.timeout)
//		o.web = cli.AddWebFlags(app, ":9471") // server commands only
//		o.log = cli.AddLogFlags(app)        // server commands only
//		if _, code, done := app.Parse(); done {
//			return code // --help, --version (0) or bad usage (2), already reported
//		}
//		logger := cli.Logger(o.log, env.Stderr)
//		if err := run(ctx, o, logger); err != nil {
//			return app.Fail(err) // prints "golive thing: <err>", returns 1
//		}
//		return cli.ExitOK
//	}
//
// A server opens its sockets with cli.Listen(ctx, o.web) (every
// --web.listen-address, or systemd's sockets) and serves them through
// exporter-toolkit's web.Serve with *o.web.WebConfigFile; it registers
// buildinfo.Collector() (golive_build_info) and answers "Healthy" on
// /-/healthy, as the exporter and the receiver do.
//
// A command with subcommands (`golive thing list`) declares them with
// app.Command("list", "...") and switches on the string Parse returns
// ("list"); flags and arguments go on the *kingpin.CmdClause. For a usage
// error found after parsing (two flags that exclude each other), return
// app.Usage(err), which prints it with a pointer to --help and returns 2.
//
// Commands of one word group that live in different packages (`golive
// remediation run`, `golive remediation list`) are wired as a Group in
// commands.go; each is then an ordinary command as above, named with its
// words (cli.NewApp(env, "remediation run", ...)):
//
//	"remediation": cli.Group("remediation", "run and inspect remediations", map[string]cli.Command{
//		"run": {Summary: "run a remediation now", Run: remediate.RunCommand},
//	}),
//
// Outgoing HTTP goes through internal/httpclient (common/config's
// HTTPClientConfig); a command that talks to a server declares
// `file := cli.AddHTTPConfigFlag(app, "Prometheus")` and builds its client
// with httpclient.FromFile(*file, "gate"). A config file embeds the same
// block as a config.HTTPClientConfig field and builds it with
// httpclient.New.
//
// NewFlagSet and LogFlags (standard-library flags) remain only so that
// commands written before this package took kingpin still build; move them
// to NewApp (main_test.go checks every command for --help, --version and a
// bad flag).
//
// kingpin is allowed here and in the command.go files that parse flags
// (see .golangci.yml); packages below the commands take options structs.
package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/golive-ops/golive/internal/buildinfo"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Program is the name every command's --version and build_info carry.
const Program = "golive"

// Env is what a command receives from main: its arguments (without the
// command words) and where to write. Signals are handled in main and reach
// the command as ctx cancellation.
type Env struct {
	Args   []string
	Stdout io.Writer
	Stderr io.Writer
}

// Command is one command. Run returns the process exit code.
type Command struct {
	Summary string
	Run     func(ctx context.Context, env Env) int
	// Subcommands are a Group's commands (nil otherwise), so that tests
	// and help can walk every command.
	Subcommands map[string]Command
}

// App is a kingpin application for one command, wired to env and to the
// exit-code rules above. Its embedded *kingpin.Application declares flags,
// arguments and subcommands as usual.
type App struct {
	*kingpin.Application
	env Env
	// usage collects kingpin's help and version output: it goes to stdout
	// when asked for (--help, --version) and to stderr when it explains a
	// usage error (a missing subcommand).
	usage      bytes.Buffer
	terminated bool
	asked      bool
}

// NewApp returns the App for `golive <name>`; name may be several words
// ("dashboards push"). It has -h/--help and --version.
func NewApp(env Env, name, help string) *App {
	a := &App{env: env}
	a.Application = kingpin.New(Program+" "+name, help)
	a.UsageWriter(&a.usage)
	a.ErrorWriter(env.Stderr)
	a.Terminate(func(int) { a.terminated = true })
	a.Version(buildinfo.Print(Program))
	a.VersionFlag.PreAction(a.markAsked)
	a.HelpFlag.Short('h').PreAction(a.markAsked)
	return a
}

func (a *App) markAsked(*kingpin.ParseContext) error {
	a.asked = true
	return nil
}

// Parse parses env.Args. It returns the selected subcommand ("" without
// subcommands); done reports that the command must stop now and exit with
// code: after --help or --version (0, printed on stdout) or a usage error
// (2, explained on stderr).
func (a *App) Parse() (selected string, code int, done bool) {
	selected, err := a.Application.Parse(a.joinDashValues(a.env.Args))
	switch {
	case a.asked:
		_, _ = a.env.Stdout.Write(a.usage.Bytes())
		return "", ExitOK, true
	case errors.Is(err, kingpin.ErrCommandNotSpecified):
		_, _ = a.env.Stderr.Write(a.usage.Bytes())
		return "", a.Usage(errors.New("no command given")), true
	case err != nil:
		return "", a.Usage(err), true
	case a.terminated: // a hidden --help-long or --completion-bash
		_, _ = a.env.Stdout.Write(a.usage.Bytes())
		return "", ExitOK, true
	}
	return selected, ExitOK, false
}

// joinDashValues turns `--out -` into `--out=-`: kingpin reads a lone "-"
// as an empty argument, and "-" (standard output) is a common value.
func (a *App) joinDashValues(args []string) []string {
	long, short := map[string]bool{}, map[rune]bool{}
	var walk func(flags *kingpin.FlagGroupModel, cmds *kingpin.CmdGroupModel)
	walk = func(flags *kingpin.FlagGroupModel, cmds *kingpin.CmdGroupModel) {
		for _, f := range flags.Flags {
			if !f.IsBoolFlag() {
				long[f.Name] = true
				if f.Short != 0 {
					short[f.Short] = true
				}
			}
		}
		for _, c := range cmds.Commands {
			walk(c.FlagGroupModel, c.CmdGroupModel)
		}
	}
	m := a.Model()
	walk(m.FlagGroupModel, m.CmdGroupModel)
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if i+1 < len(args) && args[i+1] == "-" {
			name, isLong := strings.CutPrefix(arg, "--")
			if isLong && !strings.Contains(name, "=") && long[name] ||
				!isLong && len(arg) == 2 && arg[0] == '-' && short[rune(arg[1])] {
				out = append(out, arg+"=-")
				if !isLong {
					out[len(out)-1] = arg + "-"
				}
				i++
				continue
			}
		}
		if arg == "--" {
			out = append(out, args[i:]...)
			break
		}
		out = append(out, arg)
	}
	return out
}

// Usage reports a usage error as kingpin does and returns ExitUsage.
func (a *App) Usage(err error) int {
	fmt.Fprintf(a.env.Stderr, "%s: error: %v, try --help\n", a.Name, err)
	return ExitUsage
}

// Fail reports a failure of the command itself and returns ExitFailure.
func (a *App) Fail(err error) int {
	fmt.Fprintf(a.env.Stderr, "%s: %v\n", a.Name, err)
	return ExitFailure
}

// AddLogFlags adds promslog's --log.level and --log.format to app.
func AddLogFlags(app *App) *promslog.Config {
	cfg := &promslog.Config{}
	promslogflag.AddFlags(app.Application, cfg)
	return cfg
}

// Logger is the promslog logger cfg describes, writing to w: the same line
// shape (time, level, source, msg, attributes) from every server command.
func Logger(cfg *promslog.Config, w io.Writer) *slog.Logger {
	c := *cfg
	c.Writer = w
	return promslog.New(&c)
}

// AddWebFlags adds exporter-toolkit's --web.listen-address (repeatable),
// --web.systemd-socket and --web.config.file to app.
func AddWebFlags(app *App, defaultAddress string) *web.FlagConfig {
	return kingpinflag.AddFlags(app.Application, defaultAddress)
}

// AddHTTPConfigFlag adds --http.config.file (as promtool has) to an app or
// subcommand: a common/config HTTP client file (TLS, basic auth, bearer,
// OAuth2, proxy) for the requests to target ("Prometheus", "Grafana").
// Build the client with httpclient.FromFile.
func AddHTTPConfigFlag(c Flagger, target string) *string {
	return c.Flag("http.config.file", "HTTP client configuration file for talking to "+target+
		" (TLS client certificates, basic auth, bearer token, OAuth2, proxy), as promtool's. See: https://prometheus.io/docs/prometheus/latest/configuration/promtool/").
		PlaceHolder("FILE").String()
}

// Flagger is a kingpin app or subcommand (*App, *kingpin.CmdClause).
type Flagger interface {
	Flag(name, help string) *kingpin.FlagClause
}

// DurationVar makes f a model.Duration flag (Prometheus's syntax: 30s, 5m,
// 1h30m, 7d, 2w, 1y) with default def ("" for none).
func DurationVar(f *kingpin.FlagClause, def string, d *model.Duration) {
	if def != "" {
		f = f.Default(def) // shown in help as the value
	} else {
		f = f.PlaceHolder("DURATION")
	}
	f.SetValue(&durationValue{flag: f.Model().Name, d: d})
}

// durationValue names its flag in errors (kingpin does not).
type durationValue struct {
	flag string
	d    *model.Duration
}

func (v *durationValue) Set(s string) error {
	if err := v.d.Set(s); err != nil {
		return fmt.Errorf("--%s: %w (want a duration such as 30s, 5m, 1h30m, 7d, 2w)", v.flag, err)
	}
	return nil
}

func (v *durationValue) String() string { return v.d.String() }

// Group is a command made of commands, e.g. `golive dashboards push`, for
// subcommands that live in different packages (use app.Command for
// subcommands of one package).
func Group(name, summary string, subs map[string]Command) Command {
	return Command{Summary: summary, Subcommands: subs, Run: func(ctx context.Context, env Env) int {
		if len(env.Args) > 0 {
			if sub, ok := subs[env.Args[0]]; ok {
				return sub.Run(ctx, Env{Args: env.Args[1:], Stdout: env.Stdout, Stderr: env.Stderr})
			}
		}
		app := NewApp(env, name, summary)
		for _, sub := range sortedKeys(subs) {
			app.Command(sub, subs[sub].Summary)
		}
		// Parse reports help, --version and unknown or missing subcommands;
		// a known subcommand was run above.
		_, code, _ := app.Parse()
		return code
	}}
}

func sortedKeys(m map[string]Command) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
