package readiness

import (
	"context"
	"maps"
	"slices"

	"gopkg.in/yaml.v3"
)

// check is one item's built check. run returns soon after ctx ends (the
// runner abandons it at the deadline anyway) and must not panic.
type check interface {
	run(ctx context.Context, env *Env) outcome
}

// outcome is what a check found.
type outcome struct {
	status   Status
	reason   string
	evidence string
}

func pass(evidence string) outcome { return outcome{status: StatusPass, evidence: evidence} }
func fail(reason, evidence string) outcome {
	return outcome{status: StatusFail, reason: reason, evidence: evidence}
}
func errored(reason string) outcome { return outcome{status: StatusError, reason: reason} }

// kind is one sort of item: its default category and how to build its check
// from its section. build decodes strictly and resolves every reference
// (module, server, endpoint) now, so a checklist that loads can run.
type kind struct {
	category string
	help     string
	build    func(section *yaml.Node, b *buildContext) (check, error)
}

// buildContext is what a kind's build may look at.
type buildContext struct {
	checklist *Checklist
	dir       string // relative paths are relative to the checklist
	item      *Item
}

// kinds is the one table of item kinds (DESIGN §6: like the exporter's
// prober table). Each kind lives in its own file.
var kinds = map[string]kind{
	// R1.1 infrastructure and application: the exporter's probers.
	"probe": {"infrastructure", "probe a target with a prober module (http, tcp, icmp, dns, postgres, redis), as the exporter's /probe", buildProbe},
	// The exporter's collectors, for the servers its config names.
	"postgres": {"application", "a PostgreSQL server of the exporter config answers (pg_up) and a replica lags at most max_replication_lag", buildPostgres},
	"redis":    {"application", "a Redis server of the exporter config answers PING (redis_up)", buildRedis},
	"services": {"application", "services are running (systemd unit active, or a process)", buildServices},
	"backup":   {"backups", "a backup location of the exporter config: fresh, checksum verified, restore tested, off-site copy", buildBackup},
	// Monitoring the monitoring.
	"prometheus_targets":    {"monitoring", "Prometheus answers and every (or each named) scrape job has its targets up", buildPromTargets},
	"prometheus_rules":      {"monitoring", "Prometheus has the generated rule groups loaded, healthy", buildPromRules},
	"alertmanager":          {"monitoring", "Alertmanager answers and its config routes to the golive receiver", buildAlertmanager},
	"receiver":              {"monitoring", "the golive receiver is ready (its store takes writes)", buildReceiver},
	"notification_channels": {"monitoring", "each notification channel had a successful `golive notify test` recently", buildChannels},
	"grafana_dashboards":    {"monitoring", "Grafana has the generated dashboards", buildDashboards},
	// R1.2: signed off by a person in the receiver.
	"manual": {"business", "a person signs it off (`golive readiness sign`); the sign-off expires", buildManual},
}

// KindNames lists the item kinds, sorted.
func KindNames() []string { return slices.Sorted(maps.Keys(kinds)) }

// KindHelp is each kind's one-line description.
func KindHelp(name string) string { return kinds[name].help }
