package main

import (
	"github.com/golive-ops/golive/exporter"
	"github.com/golive-ops/golive/internal/cli"
)

// commands is the one table of subcommands; each entry is wired explicitly.
var commands = map[string]cli.Command{
	"exporter": {Summary: "serve Prometheus metrics for host, PostgreSQL, Redis, probes and checks", Run: exporter.Command},
}
