package rulegen

import (
	"time"

	"github.com/golive-ops/golive/internal/thresholds"
)

// probeService keeps the service a probe target is labelled with (so a
// failing web health check grades as the web tier being down) and says
// "probe" for targets without one.
const probeService = "{{ with $labels.service }}{{ . }}{{ else }}probe{{ end }}"

// The alert table. Descriptions are Prometheus templates; <value> becomes
// the value formatted for the alert's unit, <threshold> and <for> the level
// as the thresholds file states it.

func alerts(t *thresholds.Thresholds, s *samples) []Alert {
	var out []Alert
	add := func(a Alert) {
		if len(a.Levels) > 0 {
			out = append(out, a)
		}
	}
	add(Alert{
		Name: "HostCPUUsageHigh", Group: groupHost, Metric: RecordCPU, Direction: Above, Unit: Ratio,
		Levels: percentLevels(t.Host.CPU.Levels()), For: time.Duration(t.Host.CPU.For),
		Summary:     "Host CPU usage is high.",
		Description: "CPU usage on {{ $labels.instance }} is <value>, above <threshold> for <for>.",
		Service:     "host", Sample: s.host,
	})
	add(Alert{
		Name: "HostMemoryUsageHigh", Group: groupHost, Metric: RecordMemory, Direction: Above, Unit: Ratio,
		Levels: percentLevels(t.Host.Memory.Levels()), For: time.Duration(t.Host.Memory.For),
		Summary:     "Host memory usage is high.",
		Description: "Memory usage on {{ $labels.instance }} is <value>, above <threshold> for <for>.",
		Service:     "host", Sample: s.host,
	})
	add(Alert{
		Name: "HostDiskUsageHigh", Group: groupHost, Metric: RecordFilesystem, Direction: Above, Unit: Ratio,
		Levels: percentLevels(t.Host.Disk.Levels()), For: time.Duration(t.Host.Disk.For),
		Summary:     "Filesystem usage is high.",
		Description: "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is <value> full, above <threshold> for <for>.",
		Service:     "host", Sample: with(s.host, "device", "/dev/sda1", "fstype", "ext4", "mountpoint", "/"),
	})

	add(Alert{
		Name: "ServiceDown", Group: groupApplication, Metric: "up", Selector: jobMatch(t.Jobs.Application), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Application.Down), For: time.Duration(t.Application.Down.For),
		Summary:     "A service target is down.",
		Description: "{{ $labels.job }} target {{ $labels.instance }} has not answered Prometheus's scrapes for <for>.",
		Service:     "{{ $labels.job }}", Sample: s.appUp, Foreign: s.appForeign,
	})
	add(Alert{
		Name: "HTTPLatencyP95High", Group: groupApplication, Metric: RecordLatencyP95, Direction: Above, Unit: Seconds,
		Levels: secondsLevels(t.Application.LatencyP95.Levels()), For: time.Duration(t.Application.LatencyP95.For),
		Summary:     "HTTP p95 response time is high.",
		Description: "95% of {{ $labels.job }} requests take up to <value>, above <threshold> for <for>.",
		Service:     "{{ $labels.job }}", Sample: s.app[0],
	})
	add(Alert{
		Name: "HTTPErrorRateHigh", Group: groupApplication, Metric: RecordErrorRatio, Direction: Above, Unit: Ratio,
		Levels: percentLevels(t.Application.ErrorRate.Levels()), For: time.Duration(t.Application.ErrorRate.For),
		Summary:     "HTTP error rate is high.",
		Description: "<value> of {{ $labels.job }} requests fail, above <threshold> for <for>.",
		Service:     "{{ $labels.job }}", Sample: s.app[0],
	})

	add(Alert{
		Name: "PostgresDown", Group: groupPostgres, Metric: "pg_up", Selector: jobMatch(t.Jobs.Postgres), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Postgres.Down), For: time.Duration(t.Postgres.Down.For),
		Summary:     "PostgreSQL is down.",
		Description: "PostgreSQL {{ $labels.server }} behind {{ $labels.instance }} has not answered for <for>.",
		Service:     "postgresql", Sample: s.pg, Foreign: s.pgForeign,
	})
	add(Alert{
		Name: "PostgresConnectionsHigh", Group: groupPostgres, Metric: RecordPGConnections, Direction: Above, Unit: Ratio,
		Levels: percentLevels(t.Postgres.Connections.Levels()), For: time.Duration(t.Postgres.Connections.For),
		Summary:     "PostgreSQL is running out of connections.",
		Description: "PostgreSQL {{ $labels.server }} on {{ $labels.instance }} uses <value> of max_connections, above <threshold> for <for>.",
		Service:     "postgresql", Sample: s.pg,
	})
	add(Alert{
		Name: "PostgresCacheHitRatioLow", Group: groupPostgres, Metric: RecordPGCacheHit, Direction: Below, Unit: Ratio,
		Levels: percentLevels(t.Postgres.CacheHitRatio.Levels()), For: time.Duration(t.Postgres.CacheHitRatio.For),
		Summary:     "PostgreSQL cache hit ratio is low.",
		Description: "Database {{ $labels.datname }} on {{ $labels.instance }} finds <value> of blocks in cache, below <threshold> for <for>.",
		Service:     "postgresql", Sample: with(s.pg, "datname", "app"),
	})
	add(Alert{
		Name: "PostgresReplicationLagHigh", Group: groupPostgres, Metric: "pg_replication_lag_seconds", Selector: jobMatch(t.Jobs.Postgres), Direction: Above, Unit: Seconds,
		Levels: secondsLevels(t.Postgres.ReplicationLag.Levels()), For: time.Duration(t.Postgres.ReplicationLag.For),
		Summary:     "PostgreSQL replica is lagging.",
		Description: "Replica {{ $labels.server }} on {{ $labels.instance }} is <value> behind its primary, above <threshold> for <for>.",
		Service:     "postgresql", Sample: s.pg, Foreign: s.pgForeign,
	})
	add(Alert{
		Name: "PostgresDeadlocks", Group: groupPostgres, Metric: RecordPGDeadlocks(t), Direction: Above, Unit: Count,
		Levels:      countLevels(t.Postgres.Deadlocks.Levels()),
		Summary:     "PostgreSQL detected deadlocks.",
		Description: "Database {{ $labels.datname }} on {{ $labels.instance }} had <value> deadlocks in " + t.Postgres.Deadlocks.Window.String() + ", above <threshold>.",
		Service:     "postgresql", Sample: with(s.pg, "datname", "app"),
	})

	add(Alert{
		Name: "RedisDown", Group: groupRedis, Metric: "redis_up", Selector: jobMatch(t.Jobs.Redis), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Redis.Down), For: time.Duration(t.Redis.Down.For),
		Summary:     "Redis is down.",
		Description: "Redis {{ $labels.server }} behind {{ $labels.instance }} has not answered for <for>.",
		Service:     "redis", Sample: s.redis, Foreign: s.redisForeign,
	})
	add(Alert{
		Name: "RedisMemoryHigh", Group: groupRedis, Metric: RecordRedisMemory, Direction: Above, Unit: Ratio,
		Levels: percentLevels(t.Redis.Memory.Levels()), For: time.Duration(t.Redis.Memory.For),
		Summary:     "Redis is close to maxmemory.",
		Description: "Redis {{ $labels.server }} on {{ $labels.instance }} uses <value> of maxmemory, above <threshold> for <for>.",
		Service:     "redis", Sample: s.redis,
	})
	add(Alert{
		Name: "RedisRejectedConnections", Group: groupRedis, Metric: RecordRedisRejected(t), Direction: Above, Unit: Count,
		Levels:      countLevels(t.Redis.RejectedConnections.Levels()),
		Summary:     "Redis rejects connections.",
		Description: "Redis {{ $labels.server }} on {{ $labels.instance }} rejected <value> connections in " + t.Redis.RejectedConnections.Window.String() + " (maxclients reached), above <threshold>.",
		Service:     "redis", Sample: s.redis,
	})
	add(Alert{
		Name: "RedisBackupMissing", Group: groupRedis, Metric: RecordRedisLastSave, Direction: Above, Unit: Seconds,
		Levels: ageLevels(t.Redis.LastSave.Levels()), For: time.Duration(t.Redis.LastSave.For),
		Summary:     "Redis has not saved a snapshot recently.",
		Description: "Redis {{ $labels.server }} on {{ $labels.instance }} last saved an RDB snapshot <value> ago, more than <threshold>.",
		Service:     "redis", Sample: s.redis,
	})

	add(Alert{
		Name: "ProbeFailed", Group: groupProbes, Metric: "probe_success", Selector: jobMatch(t.Jobs.Probes), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Probes.Failure), For: time.Duration(t.Probes.Failure.For),
		Summary:     "An endpoint probe fails.",
		Description: "Probe {{ $labels.module }} of {{ $labels.instance }}{{ with $labels.target }} ({{ . }}){{ end }} has failed for <for>.",
		Service:     probeService, Sample: s.probe, Foreign: s.probeForeign,
	})
	add(Alert{
		Name: "ProbeSlow", Group: groupProbes, Metric: "probe_duration_seconds", Selector: jobMatch(t.Jobs.Probes), Direction: Above, Unit: Seconds,
		Levels: secondsLevels(t.Probes.Slow.Levels()), For: time.Duration(t.Probes.Slow.For),
		Summary:     "An endpoint probe is slow.",
		Description: "Probe {{ $labels.module }} of {{ $labels.instance }}{{ with $labels.target }} ({{ . }}){{ end }} takes <value>, above <threshold> for <for>.",
		Service:     probeService, Sample: s.probe, Foreign: s.probeForeign,
	})
	add(Alert{
		Name: "CertificateExpiringSoon", Group: groupProbes, Metric: RecordCertRemaining, Direction: Below, Unit: Seconds,
		Levels: daysLevels(t.Probes.Certificate.Levels()), For: time.Duration(t.Probes.Certificate.For),
		Summary:     "A TLS certificate expires soon.",
		Description: "The certificate of {{ $labels.instance }}{{ with $labels.target }} ({{ . }}){{ end }} expires in <value>, less than <threshold>.",
		Service:     probeService, Sample: s.probe,
	})

	backup := with(s.exporter, "backup", "pg")
	add(Alert{
		Name: "BackupTooOld", Group: groupBackups, Metric: RecordBackupAge, Direction: Above, Unit: Seconds,
		Levels: ageLevels(t.Backups.Age.Levels()), For: time.Duration(t.Backups.Age.For),
		Summary:     "The newest backup is too old.",
		Description: "The newest {{ $labels.backup }} backup on {{ $labels.instance }} is <value> old, more than <threshold>.",
		Service:     "backup", Sample: backup,
	})
	var backupForeign map[string]string
	if s.exporterForeign != nil {
		backupForeign = with(s.exporterForeign, "backup", "pg")
	}
	add(Alert{
		Name: "BackupNotVerified", Group: groupBackups, Metric: "golive_backup_checksum_ok", Selector: jobMatch(t.Jobs.Exporter), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Backups.NotVerified), For: time.Duration(t.Backups.NotVerified.For),
		Summary:     "The newest backup failed verification.",
		Description: "The newest {{ $labels.backup }} backup on {{ $labels.instance }} does not match its checksum.",
		Service:     "backup", Sample: backup, Foreign: backupForeign,
	})
	add(Alert{
		Name: "BackupRestoreTestTooOld", Group: groupBackups, Metric: RecordRestoreTestAge, Direction: Above, Unit: Seconds,
		Levels: ageLevels(t.Backups.RestoreTestAge.Levels()), For: time.Duration(t.Backups.RestoreTestAge.For),
		Summary:     "No recent restore test.",
		Description: "The {{ $labels.backup }} backup on {{ $labels.instance }} was last restored as a test <value> ago, more than <threshold>.",
		Service:     "backup", Sample: backup,
	})

	add(Alert{
		Name: "ServiceNotRunning", Group: groupServices, Metric: RecordServiceUp, Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Services.Down), For: time.Duration(t.Services.Down.For),
		Summary:     "A system service is not running.",
		Description: "Service {{ $labels.service }} on {{ $labels.instance }} has not been running for <for>.",
		Service:     "{{ $labels.service }}", Sample: with(s.host, "service", s.services[0]),
	})

	check := with(s.exporter, "check", s.migrationCheck, "column", t.SQLChecks.MismatchColumn)
	add(Alert{
		Name: "MigrationMismatch", Group: groupSQLChecks, Metric: "golive_sqlcheck_value",
		Selector:  jobMatch(t.Jobs.Exporter) + ", check=~" + quote(t.SQLChecks.MigrationChecks) + ", column=" + quote(t.SQLChecks.MismatchColumn),
		Direction: Above, Unit: Count,
		Levels: countLevels(t.SQLChecks.Mismatch.Levels()), For: time.Duration(t.SQLChecks.Mismatch.For),
		Summary:     "Migrated data does not match its source.",
		Description: "SQL check {{ $labels.check }} counts <value> mismatched rows, above <threshold>.",
		Service:     "migration", Sample: check, Foreign: foreignOf(s.exporterForeign, "check", s.migrationCheck, "column", t.SQLChecks.MismatchColumn),
	})
	add(Alert{
		Name: "SQLCheckFailing", Group: groupSQLChecks, Metric: "golive_sqlcheck_success", Selector: jobMatch(t.Jobs.Exporter), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.SQLChecks.Failure), For: time.Duration(t.SQLChecks.Failure.For),
		Summary:     "A SQL check fails.",
		Description: "SQL check {{ $labels.check }} on {{ $labels.instance }} has failed for <for>.",
		Service:     "sqlcheck", Sample: with(s.exporter, "check", s.migrationCheck), Foreign: foreignOf(s.exporterForeign, "check", s.migrationCheck),
	})

	add(Alert{
		Name: "ExporterDown", Group: groupExporter, Metric: "up", Selector: jobMatch(exporterJobs(t)), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Exporter.Down), For: time.Duration(t.Exporter.Down.For),
		Summary:     "A metrics exporter is down.",
		Description: "{{ $labels.job }} target {{ $labels.instance }} has not answered Prometheus's scrapes for <for>; its alerts cannot fire.",
		Service:     "{{ $labels.job }}", Sample: s.exporter,
	})
	add(Alert{
		Name: "ExporterCollectorFailing", Group: groupExporter, Metric: "golive_exporter_collector_success", Selector: jobMatch(t.Jobs.Exporter), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Exporter.CollectorFailure), For: time.Duration(t.Exporter.CollectorFailure.For),
		Summary:     "An exporter collector fails.",
		Description: "Collector {{ $labels.collector }} ({{ $labels.target }}) on {{ $labels.instance }} has failed for <for>.",
		Service:     "golive-exporter", Sample: with(s.exporter, "collector", "postgres", "target", "primary"),
		Foreign: foreignOf(s.exporterForeign, "collector", "postgres", "target", "primary"),
	})
	add(Alert{
		Name: "ExporterConfigReloadFailed", Group: groupExporter, Metric: "golive_exporter_config_last_reload_successful", Selector: jobMatch(t.Jobs.Exporter), Direction: IsZero, Unit: Bool,
		Levels: downLevel(t.Exporter.ReloadFailure), For: time.Duration(t.Exporter.ReloadFailure.For),
		Summary:     "The exporter's configuration reload failed.",
		Description: "The golive exporter on {{ $labels.instance }} failed to reload its configuration; it runs the previous one.",
		Service:     "golive-exporter", Sample: s.exporter, Foreign: s.exporterForeign,
	})
	return out
}

// exporterJobs matches every exporter job: all sources but the application.
func exporterJobs(t *thresholds.Thresholds) string {
	seen := map[string]bool{}
	re := ""
	for _, j := range []string{t.Jobs.Host, t.Jobs.Postgres, t.Jobs.Redis, t.Jobs.Probes, t.Jobs.Exporter} {
		if seen[j] {
			continue
		}
		seen[j] = true
		if re != "" {
			re += "|"
		}
		re += "(?:" + j + ")"
	}
	return re
}

func foreignOf(base map[string]string, kv ...string) map[string]string {
	if base == nil {
		return nil
	}
	return with(base, kv...)
}
