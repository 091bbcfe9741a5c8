package rulegen

import (
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/golive-ops/golive/internal/thresholds"
)

// Recording rule names. Dashboards read the same series.
const (
	RecordCPU             = "instance:node_cpu_utilisation:rate5m"
	RecordMemory          = "instance:node_memory_utilisation:ratio"
	RecordFilesystem      = "instance_mountpoint:node_filesystem_usage:ratio"
	RecordLatencyP95      = "job:http_request_duration_seconds:p95_rate5m"
	RecordErrorRatio      = "job:http_request_errors:ratio_rate5m"
	RecordPGConnections   = "instance:pg_connections_used:ratio"
	RecordPGCacheHit      = "instance_datname:pg_stat_database_blks_hit:ratio_rate5m"
	RecordRedisMemory     = "instance:redis_memory_used:ratio"
	RecordRedisLastSave   = "instance:redis_rdb_last_save_age:seconds"
	RecordCertRemaining   = "instance:probe_ssl_earliest_cert_expiry:seconds_remaining"
	RecordBackupAge       = "backup:golive_backup_newest_age:seconds"
	RecordRestoreTestAge  = "backup:golive_backup_restore_test_age:seconds"
	RecordServiceUp       = "instance_service:service_up:max"
	recordPGDeadlocksFmt  = "instance_datname:pg_stat_database_deadlocks:increase%s"
	recordRedisRejectsFmt = "instance:redis_rejected_connections:increase%s"
)

// RecordPGDeadlocks and RecordRedisRejected name the windowed counters; the
// window comes from the thresholds file.
func RecordPGDeadlocks(t *thresholds.Thresholds) string {
	return fmt.Sprintf(recordPGDeadlocksFmt, t.Postgres.Deadlocks.Window)
}

// RecordRedisRejected is the recorded increase of rejected connections.
func RecordRedisRejected(t *thresholds.Thresholds) string {
	return fmt.Sprintf(recordRedisRejectsFmt, t.Redis.RejectedConnections.Window)
}

// Filesystems that are not disks: excluded from disk usage.
const fsExcluded = `tmpfs|devtmpfs|ramfs|squashfs|overlay|nsfs|autofs|fuse\..*`

// Rule file stems.
const (
	groupHost        = "host"
	groupApplication = "application"
	groupPostgres    = "postgres"
	groupRedis       = "redis"
	groupProbes      = "probes"
	groupBackups     = "backups"
	groupServices    = "services"
	groupSQLChecks   = "sqlchecks"
	groupExporter    = "exporter"
)

// jobMatch is a job=~ matcher for a configured regular expression.
func jobMatch(re string) string { return "job=~" + quote(re) }

// quote writes a PromQL string literal (PromQL strings take Go escapes).
func quote(s string) string { return strconv.Quote(s) }

// samples holds the label sets unit tests use for each source.
type samples struct {
	host, hostForeign         map[string]string
	app                       []map[string]string // one per distinct job example (recorded by job)
	appUp, appForeign         map[string]string
	pg, pgForeign             map[string]string
	redis, redisForeign       map[string]string
	probe, probeForeign       map[string]string
	exporter, exporterForeign map[string]string
	errorStatus, okStatus     string
	services                  []string
	serviceIgnored            string
	migrationCheck            string
}

func newSamples(t *thresholds.Thresholds) (*samples, error) {
	var s samples
	var err error
	one := func(re, field string) string {
		if err != nil {
			return ""
		}
		var ex []string
		ex, err = examples(re, 1)
		if err != nil {
			err = fmt.Errorf("%s: %w", field, err)
			return ""
		}
		return ex[0]
	}
	foreign := func(base map[string]string, re string) map[string]string {
		if other := nonMatching(re, "unrelated", "zz-other-job"); other != "" {
			return with(base, "job", other)
		}
		return nil
	}
	s.host = map[string]string{"instance": "host-1:9100", "job": one(t.Jobs.Host, "jobs.host")}
	s.hostForeign = foreign(s.host, t.Jobs.Host)
	s.pg = map[string]string{"instance": "db-1:9187", "job": one(t.Jobs.Postgres, "jobs.postgres"), "server": "primary"}
	s.pgForeign = foreign(s.pg, t.Jobs.Postgres)
	s.redis = map[string]string{"instance": "cache-1:9121", "job": one(t.Jobs.Redis, "jobs.redis"), "server": "main"}
	s.redisForeign = foreign(s.redis, t.Jobs.Redis)
	s.probe = map[string]string{"instance": "https://shop.example.com/healthz", "job": one(t.Jobs.Probes, "jobs.probes"), "module": "http_2xx"}
	s.probeForeign = foreign(s.probe, t.Jobs.Probes)
	s.exporter = map[string]string{"instance": "host-1:9469", "job": one(t.Jobs.Exporter, "jobs.exporter")}
	s.exporterForeign = foreign(s.exporter, t.Jobs.Exporter)
	s.migrationCheck = one(t.SQLChecks.MigrationChecks, "sql_checks.migration_checks")
	if err != nil {
		return nil, err
	}
	appJobs, err := examples(t.Jobs.Application, 2)
	if err != nil {
		return nil, fmt.Errorf("jobs.application: %w", err)
	}
	for _, j := range appJobs {
		s.app = append(s.app, map[string]string{"job": j})
	}
	s.appUp = map[string]string{"instance": "web-1:8080", "job": appJobs[0]}
	s.appForeign = foreign(s.appUp, t.Jobs.Application)
	if s.errorStatus, err = firstMatching(t.Application.ErrorStatus, "500", "503", "502"); err != nil {
		return nil, fmt.Errorf("application.error_status: %w", err)
	}
	if s.okStatus = nonMatching(t.Application.ErrorStatus, "200", "204", "302", "404"); s.okStatus == "" {
		return nil, fmt.Errorf("application.error_status: %q matches 200, 204, 302 and 404: no request could succeed", t.Application.ErrorStatus)
	}
	if s.services, err = examples(t.Services.Names, 2); err != nil {
		return nil, fmt.Errorf("services.names: %w", err)
	}
	s.serviceIgnored = nonMatching(t.Services.Names, "cron", "zz-unwatched")
	return &s, nil
}

// NewCatalog derives every recording rule and alert from t, which must be
// valid.
func NewCatalog(t *thresholds.Thresholds) (*Catalog, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	s, err := newSamples(t)
	if err != nil {
		return nil, err
	}
	c := &Catalog{RunbookURL: t.RunbookURL}
	c.Recordings = recordings(t, s)
	c.Alerts = alerts(t, s)
	return c, nil
}

// Level constructors: file value → base unit.

func percentLevels(ls []thresholds.Level) []Level {
	return convert(ls, func(v float64) (*big.Rat, string) {
		return quo(rat(v), ratInt(100)), strconv.FormatFloat(v, 'g', -1, 64) + "%"
	})
}

func secondsLevels(ls []thresholds.Level) []Level {
	return convert(ls, func(v float64) (*big.Rat, string) {
		return rat(v), strconv.FormatFloat(v, 'g', -1, 64) + "s"
	})
}

func daysLevels(ls []thresholds.Level) []Level {
	return convert(ls, func(v float64) (*big.Rat, string) {
		return mul(rat(v), ratInt(86400)), strconv.FormatFloat(v, 'g', -1, 64) + " days"
	})
}

func ageLevels(ls []thresholds.Level) []Level {
	return convert(ls, func(v float64) (*big.Rat, string) {
		return rat(v), durationString(time.Duration(v * float64(time.Second)))
	})
}

func countLevels(ls []thresholds.Level) []Level {
	return convert(ls, func(v float64) (*big.Rat, string) {
		return rat(v), strconv.FormatFloat(v, 'g', -1, 64)
	})
}

func convert(ls []thresholds.Level, f func(float64) (*big.Rat, string)) []Level {
	out := make([]Level, 0, len(ls))
	for _, l := range ls {
		v, display := f(l.Value)
		out = append(out, Level{Severity: l.Severity, Value: v, Display: display})
	}
	return out
}

func downLevel(d thresholds.Down) []Level {
	return []Level{{Severity: d.Severity, Value: new(big.Rat), Display: "down"}}
}
