// Command golive is one binary for taking a system live and keeping it running:
// an exporter, a rules and dashboards generator, and an Alertmanager receiver.
// main only dispatches to subcommands; each job lives in its own package.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/golive-ops/golive/exporter"
	"github.com/golive-ops/golive/internal/buildinfo"
	"github.com/golive-ops/golive/internal/cli"
)

// exporterCommand is in every build (see commands.go and
// commands_exporteronly.go).
var exporterCommand = cli.Command{Summary: "serve Prometheus metrics for host, PostgreSQL, Redis, probes and checks", Run: exporter.Command}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		name := "golive"
		if build != "" {
			name += " (" + build + ")"
		}
		fmt.Fprintln(stdout, buildinfo.Print(name))
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "golive: unknown command %q\n", args[0])
		if build != "" {
			fmt.Fprintf(stderr, "(this is the %s: it has the exporter only; the default build has every command)\n", build)
		}
		fmt.Fprintln(stderr)
		usage(stderr)
		return 2
	}
	return cmd.Run(ctx, cli.Env{Args: args[1:], Stdout: stdout, Stderr: stderr})
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: golive <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-18s %s\n", name, commands[name].Summary)
	}
	fmt.Fprintln(w, "  version            print version information")
	fmt.Fprintln(w, "\nRun 'golive <command> --help' for a command's flags.")
}
