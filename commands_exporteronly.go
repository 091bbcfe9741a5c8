//go:build exporteronly

package main

import "github.com/golive-ops/golive/internal/cli"

// The exporter build (`make build-exporter`, -tags exporteronly) is golive
// with the exporter alone, for the per-host deployment: the receiver,
// generator and their libraries (SQLite, templates, the Grafana SDK) are not
// linked, so their package initialisation does not touch memory on every
// monitored host (about 3.5 MiB less RSS; see README, Performance).

// build names this build in `golive version`.
const build = "exporter build"

var commands = map[string]cli.Command{
	"exporter": exporterCommand,
}
