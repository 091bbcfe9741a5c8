// Package cli holds the small contract between main and each subcommand.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
)

// Env is what a subcommand receives from main: its arguments (without the
// subcommand name) and where to write. Signals are handled in main and reach
// the subcommand as ctx cancellation.
type Env struct {
	Args   []string
	Stdout io.Writer
	Stderr io.Writer
}

// Command is one subcommand. Run returns the process exit code.
type Command struct {
	Summary string
	Run     func(ctx context.Context, env Env) int
}

// NewFlagSet returns a flag set that reports errors instead of exiting, writing
// usage to env.Stderr.
func NewFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("golive "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// LogFlags are the logging flags every long-running subcommand accepts.
type LogFlags struct {
	Level  string
	Format string
}

// Register adds --log.level and --log.format to fs.
func (l *LogFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&l.Level, "log.level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&l.Format, "log.format", "logfmt", "log format: logfmt or json")
}

// Logger builds the slog logger the flags describe.
func (l *LogFlags) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.Level)); err != nil {
		return nil, fmt.Errorf("--log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(l.Format) {
	case "logfmt", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log.format: unknown format %q (want logfmt or json)", l.Format)
	}
}

// Group is a command made of named subcommands, e.g. `golive dashboards push`.
func Group(name, summary string, subs map[string]Command) Command {
	return Command{Summary: summary, Run: func(ctx context.Context, env Env) int {
		if len(env.Args) == 0 || env.Args[0] == "-h" || env.Args[0] == "--help" {
			fmt.Fprintf(env.Stderr, "usage: golive %s <subcommand> [flags]\n\nsubcommands:\n", name)
			for _, sub := range sortedKeys(subs) {
				fmt.Fprintf(env.Stderr, "  %-10s %s\n", sub, subs[sub].Summary)
			}
			if len(env.Args) == 0 {
				return 2
			}
			return 0
		}
		sub, ok := subs[env.Args[0]]
		if !ok {
			fmt.Fprintf(env.Stderr, "golive %s: unknown subcommand %q\n", name, env.Args[0])
			return 2
		}
		return sub.Run(ctx, Env{Args: env.Args[1:], Stdout: env.Stdout, Stderr: env.Stderr})
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
