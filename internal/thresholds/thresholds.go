// Package thresholds is the model of rules/thresholds.yml: the one file every
// generated alert, recording rule test and dashboard threshold is derived from.
//
// Units are part of the key names (warning_percent, warning_seconds,
// warning_days, warning_age, warning_count, warning_rows), so a reader never
// has to guess whether 0.05 means 5% or 0.05%. Percentages are 0–100 in the
// file; the generator converts them to the 0–1 ratios Prometheus records.
//
// A level left out of the file keeps its default; a level set to null is
// disabled (no alert of that severity).
package thresholds

import (
	"github.com/prometheus/common/model"
)

// Thresholds is the whole file.
type Thresholds struct {
	RunbookURL  string      `yaml:"runbook_url" doc:"Runbook link put on every alert as the runbook_url annotation. %s is replaced\nby the alert name in lower case (e.g. hostcpuusagehigh)."`
	Jobs        Jobs        `yaml:"jobs" doc:"Prometheus job labels of each source, as regular expressions matched like\njob=~\"...\" (anchored). Point them at your scrape configs' job_name values."`
	Host        Host        `yaml:"host" doc:"Host metrics (node_exporter or golive exporter names)."`
	Application Application `yaml:"application" doc:"Application metrics: up, http_requests_total, http_request_duration_seconds_bucket."`
	Postgres    Postgres    `yaml:"postgres" doc:"PostgreSQL (postgres_exporter or golive exporter names)."`
	Redis       Redis       `yaml:"redis" doc:"Redis (redis_exporter or golive exporter names)."`
	Probes      Probes      `yaml:"probes" doc:"Endpoint probes (blackbox_exporter or golive exporter /probe)."`
	Backups     Backups     `yaml:"backups" doc:"Backups watched by the golive exporter (golive_backup_*)."`
	Services    Services    `yaml:"services" doc:"System services (node_systemd_unit_state, or golive_service_up without systemd)."`
	SQLChecks   SQLChecks   `yaml:"sql_checks" doc:"SQL checks run by the golive exporter (golive_sqlcheck_*)."`
	Exporter    Exporter    `yaml:"exporter" doc:"The golive exporter's own health."`
}

// Jobs holds the job regular expressions of each metric source.
type Jobs struct {
	Host        string `yaml:"host" doc:"node_* metrics (and node_systemd_unit_state)."`
	Application string `yaml:"application" doc:"Your services' up, http_requests_total and http_request_duration_seconds."`
	Postgres    string `yaml:"postgres" doc:"pg_* metrics."`
	Redis       string `yaml:"redis" doc:"redis_* metrics."`
	Probes      string `yaml:"probes" doc:"probe_* metrics."`
	Exporter    string `yaml:"exporter" doc:"golive_* metrics (exporter health, backups, services, SQL checks)."`
}

// Host thresholds.
type Host struct {
	CPU    HostPercent `yaml:"cpu" doc:"HostCPUUsageHigh: CPU busy, percent of all CPUs (0-100)."`
	Memory HostPercent `yaml:"memory" doc:"HostMemoryUsageHigh: memory in use, 100 - MemAvailable/MemTotal, percent."`
	Disk   HostPercent `yaml:"disk" doc:"HostDiskUsageHigh: filesystem space used, percent, per mountpoint."`
}

// Application thresholds.
type Application struct {
	Down        Down         `yaml:"down" doc:"ServiceDown: an application target is down (up == 0)."`
	LatencyP95  SecondsAbove `yaml:"latency_p95" doc:"HTTPLatencyP95High: 95th percentile request duration over 5m, seconds."`
	ErrorRate   PercentAbove `yaml:"error_rate" doc:"HTTPErrorRateHigh: failed requests, percent of all requests over 5m."`
	StatusLabel string       `yaml:"status_label" doc:"Label of http_requests_total holding the HTTP status code."`
	ErrorStatus string       `yaml:"error_status" doc:"Regular expression of status codes that count as errors."`
}

// Postgres thresholds.
type Postgres struct {
	Down           Down         `yaml:"down" doc:"PostgresDown: pg_up == 0."`
	Connections    PercentAbove `yaml:"connections" doc:"PostgresConnectionsHigh: connections, percent of max_connections."`
	CacheHitRatio  PercentBelow `yaml:"cache_hit_ratio" doc:"PostgresCacheHitRatioLow: blks_hit / (blks_hit + blks_read) over 5m, percent, per database."`
	ReplicationLag SecondsAbove `yaml:"replication_lag" doc:"PostgresReplicationLagHigh: replica lag behind the primary, seconds."`
	Deadlocks      CountAbove   `yaml:"deadlocks" doc:"PostgresDeadlocks: deadlocks detected within the window, per database."`
}

// Redis thresholds.
type Redis struct {
	Down                Down         `yaml:"down" doc:"RedisDown: redis_up == 0."`
	Memory              PercentAbove `yaml:"memory" doc:"RedisMemoryHigh: used memory, percent of maxmemory (only when maxmemory is set)."`
	RejectedConnections CountAbove   `yaml:"rejected_connections" doc:"RedisRejectedConnections: connections refused (maxclients) within the window."`
	LastSave            AgeAbove     `yaml:"last_save" doc:"RedisBackupMissing: time since the last successful RDB save."`
}

// Probes thresholds.
type Probes struct {
	Failure     Down         `yaml:"failure" doc:"ProbeFailed: probe_success == 0."`
	Slow        SecondsAbove `yaml:"slow" doc:"ProbeSlow: probe_duration_seconds."`
	Certificate DaysBelow    `yaml:"certificate" doc:"CertificateExpiringSoon: days until the earliest certificate in the chain expires."`
}

// Backups thresholds.
type Backups struct {
	Age            AgeAbove `yaml:"age" doc:"BackupTooOld: time since the newest backup file was written."`
	NotVerified    Down     `yaml:"not_verified" doc:"BackupNotVerified: the newest backup failed checksum verification (golive_backup_checksum_ok == 0)."`
	RestoreTestAge AgeAbove `yaml:"restore_test_age" doc:"BackupRestoreTestTooOld: time since the last successful restore test."`
}

// Services thresholds.
type Services struct {
	Names string `yaml:"names" doc:"Regular expression of service names to watch (systemd unit names without .service)."`
	Down  Down   `yaml:"down" doc:"ServiceNotRunning: the unit is not active / the process is not running."`
}

// SQLChecks thresholds.
type SQLChecks struct {
	MigrationChecks string    `yaml:"migration_checks" doc:"Regular expression of the sql_checks names that compare migrated data."`
	MismatchColumn  string    `yaml:"mismatch_column" doc:"Column of those checks that counts mismatched rows (old rows without new ones, count differences)."`
	Mismatch        RowsAbove `yaml:"mismatch" doc:"MigrationMismatch: mismatched rows reported by a migration check."`
	Failure         Down      `yaml:"failure" doc:"SQLCheckFailing: a check's query fails (golive_sqlcheck_success == 0)."`
}

// Exporter thresholds.
type Exporter struct {
	Down             Down `yaml:"down" doc:"ExporterDown: a target of the host, postgres, redis, probes or exporter jobs is down (up == 0)."`
	CollectorFailure Down `yaml:"collector_failure" doc:"ExporterCollectorFailing: a collector fails every scrape (golive_exporter_collector_success == 0)."`
	ReloadFailure    Down `yaml:"reload_failure" doc:"ExporterConfigReloadFailed: the last configuration reload failed."`
}

// Down is a binary condition (a target or check is down): it alerts after For
// with one severity.
type Down struct {
	For      model.Duration `yaml:"for"`
	Severity Severity       `yaml:"severity"` // emergency, critical, warning or info
}

// PercentAbove alerts when a percentage (0–100) stays above a level for For.
type PercentAbove struct {
	WarningPercent  *float64       `yaml:"warning_percent"`
	CriticalPercent *float64       `yaml:"critical_percent"`
	For             model.Duration `yaml:"for"`
}

// HostPercent is a PercentAbove drawn on the overview dashboard with an extra
// dashboard-only yellow step below the first alerting level.
type HostPercent struct {
	PercentAbove           `yaml:",inline"`
	DashboardYellowPercent *float64 `yaml:"dashboard_yellow_percent" doc:"Dashboard only: the panel turns yellow here; it turns red at the first alert level."`
}

// PercentBelow alerts when a percentage (0–100) stays below a level for For
// (lower is worse: critical must be below warning).
type PercentBelow struct {
	WarningPercent  *float64       `yaml:"warning_percent"`
	CriticalPercent *float64       `yaml:"critical_percent"`
	For             model.Duration `yaml:"for"`
}

// SecondsAbove alerts when a duration measured in seconds stays above a level.
type SecondsAbove struct {
	WarningSeconds  *float64       `yaml:"warning_seconds"`
	CriticalSeconds *float64       `yaml:"critical_seconds"`
	For             model.Duration `yaml:"for"`
}

// DaysBelow alerts when a number of days left stays below a level.
type DaysBelow struct {
	WarningDays  *float64       `yaml:"warning_days"`
	CriticalDays *float64       `yaml:"critical_days"`
	For          model.Duration `yaml:"for"`
}

// AgeAbove alerts when the time since an event exceeds a duration.
type AgeAbove struct {
	WarningAge  *model.Duration `yaml:"warning_age"`
	CriticalAge *model.Duration `yaml:"critical_age"`
	For         model.Duration  `yaml:"for"`
}

// CountAbove alerts when a counter increases by more than a count within
// Window. The window is the persistence, so there is no "for".
type CountAbove struct {
	WarningCount  *float64       `yaml:"warning_count"`
	CriticalCount *float64       `yaml:"critical_count"`
	Window        model.Duration `yaml:"window"`
}

// RowsAbove alerts when a row count stays above a level for For.
type RowsAbove struct {
	WarningRows  *float64       `yaml:"warning_rows"`
	CriticalRows *float64       `yaml:"critical_rows"`
	For          model.Duration `yaml:"for"`
}

// Float returns a pointer to v, for setting optional levels.
func Float(v float64) *float64 { return &v }

// Age returns a pointer to d, for setting optional age levels.
func Age(d model.Duration) *model.Duration { return &d }
