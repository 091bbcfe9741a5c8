// Package cli holds the small contract between main and each subcommand.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
