package dashgen

import (
	"fmt"
	"strconv"

	"github.com/golive-ops/golive/internal/rulegen"
	"github.com/golive-ops/golive/internal/thresholds"
)

// The dashboard table. Derived quantities come from the recording rules the
// alerts use; threshold steps come from the same alert levels.

// sel is a label selector of the dashboard's job and instance variables.
const sel = `job=~"$job", instance=~"$instance"`

// ratio converts a dashboard-only percent from the thresholds file.
func ratio(p *float64) *float64 {
	if p == nil {
		return nil
	}
	return ptr(*p / 100)
}

func overview(t *thresholds.Thresholds, c *rulegen.Catalog) Dashboard {
	cpu, mem, disk := lookup(c, "HostCPUUsageHigh"), lookup(c, "HostMemoryUsageHigh"), lookup(c, "HostDiskUsageHigh")
	latency, errs := lookup(c, "HTTPLatencyP95High"), lookup(c, "HTTPErrorRateHigh")
	app := `job=~` + strconv.Quote(t.Jobs.Application)
	pg := `job=~` + strconv.Quote(t.Jobs.Postgres)
	var l layout
	l.add(24, 4, upDown(stat("Service status", "Whether Prometheus can scrape each target (up).", "none", nil,
		query{`up{job=~"$job|` + t.Jobs.Application + `"}`, "{{job}} {{instance}}"}), "UP", "DOWN"))
	l.add(6, 6, showing(stat("CPU usage", "Busy CPU time over 5m, all CPUs.", "percentunit", stepsAbove(cpu, ratio(t.Host.CPU.DashboardYellowPercent)),
		query{rulegen.RecordCPU + "{" + sel + "}", "{{instance}}"}), cpu.Name))
	l.add(6, 6, showing(gauge("Memory usage", "1 - MemAvailable / MemTotal.", "percentunit", 0, 1, stepsAbove(mem, ratio(t.Host.Memory.DashboardYellowPercent)),
		query{rulegen.RecordMemory + "{" + sel + "}", "{{instance}}"}), mem.Name))
	l.add(12, 6, showing(barGauge("Disk usage", "Space used per filesystem.", "percentunit", ptr(0.0), ptr(1.0), stepsAbove(disk, ratio(t.Host.Disk.DashboardYellowPercent)),
		query{rulegen.RecordFilesystem + "{" + sel + "}", "{{instance}} {{mountpoint}}"}), disk.Name))
	l.add(12, 8, timeSeries("System load", "Load average over 1, 5 and 15 minutes.", "short", nil,
		query{"node_load1{" + sel + "}", "{{instance}} 1m"},
		query{"node_load5{" + sel + "}", "{{instance}} 5m"},
		query{"node_load15{" + sel + "}", "{{instance}} 15m"}))
	l.add(12, 8, timeSeries("Network traffic", "Bits per second received and sent per interface.", "bps", nil,
		query{`rate(node_network_receive_bytes_total{` + sel + `, device!="lo"}[$__rate_interval]) * 8`, "{{instance}} {{device}} in"},
		query{`rate(node_network_transmit_bytes_total{` + sel + `, device!="lo"}[$__rate_interval]) * 8`, "{{instance}} {{device}} out"}))
	l.add(8, 8, showing(timeSeries("Response time p95", "95th percentile HTTP request duration over 5m.", "s", stepsAbove(latency, nil),
		query{rulegen.RecordLatencyP95 + "{" + app + "}", "{{job}}"}), latency.Name))
	l.add(8, 8, timeSeries("Database connections", "PostgreSQL backends by state, and max_connections.", "short", nil,
		query{"sum by (instance, server, state) (pg_stat_activity_count{" + pg + "})", "{{instance}} {{server}} {{state}}"},
		query{"max by (instance, server) (pg_settings_max_connections{" + pg + "})", "{{instance}} {{server}} max"}))
	l.add(8, 8, showing(timeSeries("Error rate", "Share of HTTP requests answered with an error status over 5m.", "percentunit", stepsAbove(errs, nil),
		query{rulegen.RecordErrorRatio + "{" + app + "}", "{{job}}"}), errs.Name))
	vars := []Variable{
		labelVariable("job", "Job", "label_values(node_load1, job)"),
		labelVariable("instance", "Instance", `label_values(node_load1{job=~"$job"}, instance)`),
	}
	return dashboard("golive-overview", "IT infrastructure overview",
		"Hosts, services, response time, database and errors at a glance (runbook R3.5).", vars, l.panels)
}

func postgres(t *thresholds.Thresholds, c *rulegen.Catalog) Dashboard {
	conns, cache := lookup(c, "PostgresConnectionsHigh"), lookup(c, "PostgresCacheHitRatioLow")
	lag, deadlocks := lookup(c, "PostgresReplicationLagHigh"), lookup(c, "PostgresDeadlocks")
	var l layout
	l.add(8, 5, upDown(stat("PostgreSQL up", "SELECT 1 answered (pg_up).", "none", nil, query{"pg_up{" + sel + "}", "{{instance}} {{server}}"}), "UP", "DOWN"))
	l.add(8, 5, showing(gauge("Connections used", "Backends as a share of max_connections.", "percentunit", 0, 1, stepsAbove(conns, nil),
		query{rulegen.RecordPGConnections + "{" + sel + "}", "{{instance}} {{server}}"}), conns.Name))
	l.add(8, 5, stat("Replica", "1 when the server is a replica.", "none", nil, query{"pg_replication_is_replica{" + sel + "}", "{{instance}} {{server}}"}))
	l.add(12, 8, showing(timeSeries("Cache hit ratio", "blks_hit / (blks_hit + blks_read) over 5m, per database.", "percentunit", stepsBelow(cache),
		query{rulegen.RecordPGCacheHit + "{" + sel + "}", "{{instance}} {{datname}}"}), cache.Name))
	l.add(12, 8, showing(timeSeries("Replication lag", "Replay lag behind the primary.", "s", stepsAbove(lag, nil),
		query{"pg_replication_lag_seconds{" + sel + "}", "{{instance}} {{server}}"}), lag.Name))
	l.add(8, 8, timeSeries("Transactions", "Commits and rollbacks per second.", "ops", nil,
		query{"sum by (instance, server) (rate(pg_stat_database_xact_commit{" + sel + "}[$__rate_interval]))", "{{instance}} {{server}} commit"},
		query{"sum by (instance, server) (rate(pg_stat_database_xact_rollback{" + sel + "}[$__rate_interval]))", "{{instance}} {{server}} rollback"}))
	l.add(8, 8, showing(timeSeries("Deadlocks", fmt.Sprintf("Deadlocks detected within %s, per database.", t.Postgres.Deadlocks.Window), "short", stepsAbove(deadlocks, nil),
		query{rulegen.RecordPGDeadlocks(t) + "{" + sel + "}", "{{instance}} {{datname}}"}), deadlocks.Name))
	l.add(8, 8, timeSeries("Database size", "On-disk size per database.", "bytes", nil,
		query{"pg_database_size_bytes{" + sel + "}", "{{instance}} {{datname}}"}))
	return dashboard("golive-postgres", "PostgreSQL", "Availability, connections, cache, replication and deadlocks.",
		jobInstance("pg_up"), l.panels)
}

func redis(t *thresholds.Thresholds, c *rulegen.Catalog) Dashboard {
	mem, rejected, save := lookup(c, "RedisMemoryHigh"), lookup(c, "RedisRejectedConnections"), lookup(c, "RedisBackupMissing")
	var l layout
	l.add(6, 5, upDown(stat("Redis up", "PING answered (redis_up).", "none", nil, query{"redis_up{" + sel + "}", "{{instance}} {{server}}"}), "UP", "DOWN"))
	l.add(6, 5, showing(gauge("Memory used", "used_memory as a share of maxmemory.", "percentunit", 0, 1, stepsAbove(mem, nil),
		query{rulegen.RecordRedisMemory + "{" + sel + "}", "{{instance}} {{server}}"}), mem.Name))
	l.add(6, 5, stat("Connected clients", "Client connections.", "short", nil, query{"redis_connected_clients{" + sel + "}", "{{instance}} {{server}}"}))
	l.add(6, 5, showing(stat("Last RDB save", "Time since the last successful snapshot.", "s", stepsAbove(save, nil),
		query{rulegen.RecordRedisLastSave + "{" + sel + "}", "{{instance}} {{server}}"}), save.Name))
	l.add(12, 8, timeSeries("Commands", "Commands processed per second.", "ops", nil,
		query{"rate(redis_commands_processed_total{" + sel + "}[$__rate_interval])", "{{instance}} {{server}}"}))
	l.add(12, 8, timeSeries("Hit rate", "Keyspace hits / (hits + misses).", "percentunit", nil,
		query{"rate(redis_keyspace_hits_total{" + sel + "}[$__rate_interval]) / (rate(redis_keyspace_hits_total{" + sel + "}[$__rate_interval]) + rate(redis_keyspace_misses_total{" + sel + "}[$__rate_interval]))", "{{instance}} {{server}}"}))
	l.add(12, 8, showing(timeSeries("Rejected connections", fmt.Sprintf("Connections refused within %s (maxclients reached).", t.Redis.RejectedConnections.Window), "short", stepsAbove(rejected, nil),
		query{rulegen.RecordRedisRejected(t) + "{" + sel + "}", "{{instance}} {{server}}"}), rejected.Name))
	l.add(12, 8, timeSeries("Evicted keys", "Keys evicted per second under maxmemory.", "ops", nil,
		query{"rate(redis_evicted_keys_total{" + sel + "}[$__rate_interval])", "{{instance}} {{server}}"}))
	return dashboard("golive-redis", "Redis", "Availability, memory, clients, hit rate and persistence.", jobInstance("redis_up"), l.panels)
}

func probes(t *thresholds.Thresholds, c *rulegen.Catalog) Dashboard {
	slow, cert := lookup(c, "ProbeSlow"), lookup(c, "CertificateExpiringSoon")
	var l layout
	l.add(24, 5, upDown(stat("Probe result", "probe_success of each target.", "none", nil, query{"probe_success{" + sel + "}", "{{instance}} {{target}}"}), "OK", "FAIL"))
	l.add(12, 8, showing(timeSeries("Probe duration", "Time the whole probe took.", "s", stepsAbove(slow, nil),
		query{"probe_duration_seconds{" + sel + "}", "{{instance}} {{target}}"}), slow.Name))
	l.add(12, 8, showing(barGauge("Certificate expiry", "Time until the earliest certificate in the chain expires.", "s", nil, nil, stepsBelow(cert),
		query{rulegen.RecordCertRemaining + "{" + sel + "}", "{{instance}} {{target}}"}), cert.Name))
	l.add(12, 8, timeSeries("HTTP status code", "Status code of the last HTTP probe.", "none", nil,
		query{"probe_http_status_code{" + sel + "}", "{{instance}} {{target}}"}))
	l.add(12, 8, timeSeries("DNS lookup time", "Time the probe's DNS lookup took.", "s", nil,
		query{"probe_dns_lookup_time_seconds{" + sel + "}", "{{instance}} {{target}}"}))
	return dashboard("golive-probes", "Endpoint probes", "Probe results, durations and TLS certificate expiry.", jobInstance("probe_success"), l.panels)
}

func golive(t *thresholds.Thresholds, c *rulegen.Catalog) Dashboard {
	backupAge := lookup(c, "BackupTooOld")
	exp := `job=~` + strconv.Quote(t.Jobs.Exporter)
	var l layout
	l.add(6, 5, upDown(stat("Ready to go live", "The readiness checklist passes (golive_readiness_ready).", "none", nil,
		query{"min(golive_readiness_ready)", ""}), "READY", "HOLD"))
	l.add(6, 5, stat("Rollout stage", "Traffic share of the current rollout stage, per plan.", "percent", nil,
		query{"max by (plan) (golive_rollout_stage_percent)", "{{plan}}"}))
	l.add(12, 5, stat("Open incidents", "Incidents not yet resolved, by priority.", "short",
		[]Step{{Color: "green"}, {Color: "red", Value: ptr(1.0)}},
		query{"sum by (priority) (golive_receiver_incidents_open)", "{{priority}}"}))
	l.add(12, 8, upDown(barGauge("Readiness checks", "Each readiness item of the newest stored report, by category (1 passes or warns; 0 fails, errored or awaits a sign-off).", "none", ptr(0.0), ptr(1.0), nil,
		query{"min by (category, check) (golive_readiness_check_ok)", "{{category}}: {{check}}"}), "PASS", "FAIL"))
	l.add(12, 8, stat("Firing alerts", "Alerts firing now, by priority.", "short",
		[]Step{{Color: "green"}, {Color: "red", Value: ptr(1.0)}},
		query{`count by (priority) (ALERTS{alertstate="firing"})`, "{{priority}}"}))
	l.add(12, 8, timeSeries("SLA breaches", "Response and resolution deadlines missed per second, by priority and kind.", "short", nil,
		query{"sum by (priority, kind) (rate(golive_receiver_sla_breaches_total[$__rate_interval]))", "{{priority}} {{kind}}"}))
	l.add(12, 8, timeSeries("Webhooks received", "Alertmanager notifications per second, by result.", "reqps", nil,
		query{"sum by (result) (rate(golive_receiver_webhooks_received_total[$__rate_interval]))", "{{result}}"}))
	l.add(12, 8, upDown(barGauge("Exporter collectors", "Whether each collector's last scrape succeeded.", "none", ptr(0.0), ptr(1.0), nil,
		query{"golive_exporter_collector_success{" + exp + "}", "{{instance}} {{collector}} {{target}}"}), "OK", "FAIL"))
	l.add(12, 8, showing(barGauge("Backup age", "Time since the newest backup file was written.", "s", nil, nil, stepsAbove(backupAge, nil),
		query{rulegen.RecordBackupAge + "{" + exp + "}", "{{instance}} {{backup}}"}), backupAge.Name))
	return dashboard("golive-go-live", "Go-live", "Readiness, rollout stage, incidents and SLA, alerts, exporter and backups.", nil, l.panels)
}

func jobInstance(metric string) []Variable {
	return []Variable{
		labelVariable("job", "Job", "label_values("+metric+", job)"),
		labelVariable("instance", "Instance", `label_values(`+metric+`{job=~"$job"}, instance)`),
	}
}

// lookup returns the alert called name. A disabled alert (both levels null)
// is not in the catalog; its panel then shows no alert steps.
func lookup(c *rulegen.Catalog, name string) rulegen.Alert {
	if a, ok := c.Alert(name); ok {
		return a
	}
	return rulegen.Alert{Name: name}
}
