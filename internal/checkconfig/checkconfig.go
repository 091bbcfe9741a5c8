// Package checkconfig is `golive check-config`: one command that checks
// every kind of file golive reads, each through the same path its own
// command uses at start, so a file that passes here also starts.
package checkconfig

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/golive-ops/golive/exporter"
	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/thresholds"
	"github.com/golive-ops/golive/receiver"
)

// files collects a repeatable flag.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

// Command runs `golive check-config`.
func Command(ctx context.Context, env cli.Env) int {
	fs := cli.NewFlagSet("check-config", env)
	var exporters, receivers, thresholdFiles files
	fs.Var(&exporters, "exporter", "an exporter config to check (repeatable)")
	fs.Var(&receivers, "receiver", "a receiver config to check, secrets and notification channels included (repeatable)")
	fs.Var(&thresholdFiles, "thresholds", "a thresholds file to check (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "usage: golive check-config [--exporter FILE]... [--receiver FILE]... [--thresholds FILE]...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "golive check-config: unexpected argument %q: name each file with --exporter, --receiver or --thresholds\n", fs.Arg(0))
		return 2
	}
	if len(exporters)+len(receivers)+len(thresholdFiles) == 0 {
		fs.Usage()
		return 2
	}
	failed := 0
	check := func(run func(context.Context, cli.Env) int, file string) {
		if run(ctx, cli.Env{Args: []string{"--config.file", file, "--config.check"}, Stdout: env.Stdout, Stderr: env.Stderr}) != 0 {
			failed++
		}
	}
	for _, f := range exporters {
		check(exporter.Command, f)
	}
	for _, f := range receivers {
		check(receiver.Command, f)
	}
	for _, f := range thresholdFiles {
		if _, err := thresholds.Load(f); err != nil {
			fmt.Fprintf(env.Stderr, "golive check-config: %v\n", err)
			failed++
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: OK\n", f)
	}
	if failed > 0 {
		return 1
	}
	return 0
}
