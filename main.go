// Command golive is one binary for taking a system live and keeping it running:
// an exporter, a rules and dashboards generator, and an Alertmanager receiver.
// main only dispatches to commands; each job lives in its own package, and
// internal/cli holds the conventions every command follows.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/golive-ops/golive/exporter"
	"github.com/golive-ops/golive/internal/buildinfo"
	"github.com/golive-ops/golive/internal/cli"
)

// exporterCommand is in every build (see commands.go and
// commands_exporteronly.go).
var exporterCommand = cli.Command{Summary: "serve Prometheus metrics for host, PostgreSQL, Redis, probes and checks", Run: exporter.Command}

// exporterBinary is the name under which golive is the exporter alone, as
// node_exporter is: `golive-exporter --web.listen-address=...`.
const exporterBinary = "golive-exporter"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runAs(ctx, filepath.Base(os.Args[0]), os.Args[1:], os.Stdout, os.Stderr))
}

// runAs runs golive invoked as program: golive-exporter is the exporter
// without a command word (and still accepts one, for old unit files).
func runAs(ctx context.Context, program string, args []string, stdout, stderr io.Writer) int {
	if strings.TrimSuffix(program, ".exe") == exporterBinary {
		if len(args) > 0 && args[0] == "exporter" {
			args = args[1:]
		}
		return exporterCommand.Run(ctx, cli.Env{Args: args, Stdout: stdout, Stderr: stderr})
	}
	return run(ctx, args, stdout, stderr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return cli.ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return cli.ExitOK
	case "--version", "version":
		name := cli.Program
		if build != "" {
			name += " (" + build + ")"
		}
		fmt.Fprintln(stdout, buildinfo.Print(name))
		return cli.ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "golive: error: unknown command %q\n", args[0])
		if build != "" {
			fmt.Fprintf(stderr, "(this is the %s: it has the exporter only; the default build has every command)\n", build)
		}
		fmt.Fprintln(stderr)
		usage(stderr)
		return cli.ExitUsage
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
	fmt.Fprintln(w, "  version            print version information (also --version)")
	fmt.Fprintln(w, "\nRun 'golive <command> --help' for a command's flags.")
}
