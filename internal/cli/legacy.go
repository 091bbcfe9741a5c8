package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/common/promslog"
)

// NewFlagSet returns a standard-library flag set for `golive <name>`.
//
// Deprecated: declare commands with NewApp (see the package comment); this
// remains so commands written before the switch to kingpin still build
// until they move.
func NewFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(Program+" "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// LogFlags are --log.level and --log.format on a standard-library flag set.
//
// Deprecated: use AddLogFlags on an App.
type LogFlags struct {
	Level  string
	Format string
}

// Register adds --log.level and --log.format to fs.
func (l *LogFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&l.Level, "log.level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&l.Format, "log.format", "logfmt", "log format: logfmt or json")
}

// Logger builds the promslog logger the flags describe.
func (l *LogFlags) Logger(w io.Writer) (*slog.Logger, error) {
	cfg := &promslog.Config{Level: promslog.NewLevel(), Format: promslog.NewFormat()}
	if err := cfg.Level.Set(l.Level); err != nil {
		return nil, fmt.Errorf("--log.level: %w", err)
	}
	if err := cfg.Format.Set(l.Format); err != nil {
		return nil, fmt.Errorf("--log.format: %w", err)
	}
	return Logger(cfg, w), nil
}
