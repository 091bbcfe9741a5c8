//go:build !exporteronly

package main

import (
	// The receiver's schedules, business hours and SLA clocks name time
	// zones; embed the database so they work on hosts and containers without
	// /usr/share/zoneinfo. The exporter names none.
	_ "time/tzdata"

	"github.com/golive-ops/golive/internal/baseline"
	"github.com/golive-ops/golive/internal/checkconfig"
	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/generate"
	"github.com/golive-ops/golive/internal/grafana"
	"github.com/golive-ops/golive/internal/readiness"
	"github.com/golive-ops/golive/receiver"
	"github.com/golive-ops/golive/receiver/client"
	"github.com/golive-ops/golive/receiver/dailyreport"
)

// build names this build in `golive version`.
const build = ""

// commands is the one table of subcommands; each entry is wired explicitly.
var commands = map[string]cli.Command{
	"exporter":    exporterCommand,
	"receiver":    {Summary: "receive Alertmanager webhooks and turn them into graded incidents", Run: receiver.Command},
	"incidents":   {Summary: "list, show, acknowledge, resolve and close incidents (a client of the receiver API)", Run: receiver.IncidentsCommand},
	"remediation": {Summary: "list, approve and reject remediations; pause and resume them all (a client of the receiver API)", Run: receiver.RemediationCommand},
	"rollout":     {Summary: "start, follow, pause, resume and abort rollouts the receiver runs (traffic stages watched by a gate)", Run: client.RolloutCommand},
	"notify": cli.Group("notify", "test the receiver's notification channels", map[string]cli.Command{
		"test": {Summary: "send a test notification through each configured channel", Run: receiver.NotifyTestCommand},
	}),
	"check-config": {Summary: "check exporter, receiver, thresholds, rollout plan and readiness files, as their commands would at start", Run: checkconfig.Command},
	"generate":     {Summary: "generate rules, rule tests and dashboards from rules/thresholds.yml", Run: generate.Command},
	"baseline":     {Summary: "derive thresholds from measured Prometheus history", Run: baseline.Command},
	"report":       {Summary: "build the daily monitoring report and mail it (or write it with --out, --eml)", Run: dailyreport.Command},
	"readiness":    {Summary: "evaluate the go-live readiness checklist, or sign off its manual items", Run: readiness.Command},
	"dashboards": cli.Group("dashboards", "manage the generated Grafana dashboards", map[string]cli.Command{
		"push": {Summary: "import dashboards into Grafana through its HTTP API", Run: grafana.PushCommand},
	}),
}
