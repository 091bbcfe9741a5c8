package rulegen

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/golive-ops/golive/internal/thresholds"
)

// firstChecks are the first things an on-call engineer looks at for each
// alert. Every alert must have an entry (a test enforces it), so a new alert
// cannot ship with a runbook link that leads nowhere.
var firstChecks = map[string][]string{
	"HostCPUUsageHigh": {
		"Which processes use the CPU: `top -o %CPU`, `pidstat 5`; is it steal time (noisy neighbour) or iowait (disk)?",
		"Did a deploy, a cron job or a traffic change start it? Compare with the rollout stage and request rate.",
		"If it is the application, scale out or roll back; if it is a runaway batch job, reschedule it.",
	},
	"HostMemoryUsageHigh": {
		"Largest resident processes: `ps aux --sort=-rss | head`; is one growing steadily (a leak)?",
		"Check for swapping (`vmstat 5`) and OOM kills (`dmesg -T | grep -i oom`).",
		"Restart the leaking service as a stop-gap, and capture a heap profile first if you can.",
	},
	"HostDiskUsageHigh": {
		"What grew: `du -xh --max-depth=2 <mountpoint> | sort -h | tail`; logs, backups and core dumps are the usual suspects.",
		"Deleted but still open files hold space: `lsof +L1`.",
		"Rotate or compress logs, move old backups off-site, or grow the volume before it fills.",
	},
	"ServiceDown": {
		"Is the process running and listening? `systemctl status <unit>` / `ss -ltnp`.",
		"Read its last log lines (`journalctl -u <unit> -n 200`) for the crash reason.",
		"Can Prometheus reach it at all? A firewall or DNS change looks the same as a dead service.",
	},
	"HTTPLatencyP95High": {
		"Which endpoints are slow (the overview dashboard's p95 panel by handler), and since when?",
		"Look one level down: database latency and connections, Redis, CPU saturation on the hosts.",
		"If a rollout is in progress, hold it; roll back if latency started with the new version.",
	},
	"HTTPErrorRateHigh": {
		"Which status codes and endpoints fail; are they 5xx from the application or from a proxy?",
		"Check the application logs and its dependencies (PostgreSQL, Redis, upstream APIs).",
		"If a rollout is in progress, roll the stage back: the rollout gate answers rollback for this alert.",
	},
	"PostgresDown": {
		"Is the server up? `pg_isready -h <host>`; `pg_lsclusters` and the server log on the host.",
		"Disk full and out-of-memory kills are the common causes; check HostDiskUsageHigh and dmesg.",
		"If the primary is gone and will not come back quickly, fail over to the replica per the database runbook.",
	},
	"PostgresConnectionsHigh": {
		"Who holds connections: `SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1,2,3 ORDER BY 4 DESC;`",
		"Many `idle in transaction` sessions point at an application leaking transactions.",
		"Put a pooler (PgBouncer) in front, or fix the leak; raising max_connections costs memory.",
	},
	"PostgresCacheHitRatioLow": {
		"Which database reads from disk: the PostgreSQL dashboard's cache hit panel by datname.",
		"A new query doing sequential scans: `pg_stat_statements` ordered by shared_blks_read.",
		"If the working set outgrew memory, add an index, or raise shared_buffers / the instance size.",
	},
	"PostgresReplicationLagHigh": {
		"On the primary: `SELECT application_name, state, replay_lag FROM pg_stat_replication;`",
		"Is the replica's disk or CPU saturated, or the network between them?",
		"A long query on the replica can pause replay (hot_standby_feedback, max_standby_streaming_delay).",
	},
	"PostgresDeadlocks": {
		"The server log names both statements of each deadlock (log_lock_waits helps).",
		"Usually two code paths lock the same rows in different orders: fix the order in the application.",
	},
	"RedisDown": {
		"`redis-cli -h <host> ping`; the Redis log for OOM or a failed persistence write.",
		"If Redis is a cache, the application should degrade, not fail: check the error rate too.",
	},
	"RedisMemoryHigh": {
		"`redis-cli info memory` and `--bigkeys`: which keys grew?",
		"Without an eviction policy Redis refuses writes at maxmemory; set TTLs or raise maxmemory.",
	},
	"RedisBackupMissing": {
		"`redis-cli info persistence`: rdb_last_bgsave_status and the last save time.",
		"A failed BGSAVE is usually disk space or fork memory (vm.overcommit_memory).",
	},
	"RedisRejectedConnections": {
		"Clients hit maxclients: `redis-cli info clients`; find the client opening connections without closing them.",
	},
	"ProbeFailed": {
		"Open the probed URL or port yourself from the exporter's host; the probe's `module` says how it was probed.",
		"Distinguish DNS, TCP, TLS and HTTP failures with the probe dashboard's phase panel and the exporter log.",
		"A failing web health check is graded as the web tier being down (P0): check the load balancer and the web service.",
	},
	"ProbeSlow": {
		"Which phase is slow (resolve, connect, tls, processing, transfer) on the probe dashboard?",
		"Slow processing points at the service; slow connect or tls at the network or the load balancer.",
	},
	"CertificateExpiringSoon": {
		"Which certificate: the alert's target; `openssl s_client -connect host:443 -servername host | openssl x509 -noout -dates`.",
		"Renew it (ACME client, or your CA) and reload the server; check that automatic renewal works.",
	},
	"BackupTooOld": {
		"Did the backup job run? Its cron/timer log and exit status.",
		"Is the backup target full or unreachable? Run the job by hand once the cause is fixed.",
	},
	"BackupNotVerified": {
		"The newest backup does not match its checksum: re-run the backup, then check the disk it is written to.",
		"Do not delete older verified backups until a new one verifies.",
	},
	"BackupRestoreTestTooOld": {
		"Nobody has proven the backups restore recently: run the restore test, then touch the restore marker.",
	},
	"ServiceNotRunning": {
		"`systemctl status <service>` or the process table on the host; why did it stop?",
		"Start it, and find out why it did not restart by itself (Restart= policy, crash loop).",
	},
	"MigrationMismatch": {
		"The migration check's columns show old vs new counts and orphans: which rows are missing?",
		"Hold the cutover: do not move more users to the new system until the data matches.",
	},
	"SQLCheckFailing": {
		"The exporter log names the check and the error (permissions, a renamed table, a timeout).",
		"Run the check's query by hand with the exporter's role.",
	},
	"ExporterDown": {
		"Is golive exporter running and reachable from Prometheus (`curl http://host:9469/-/healthy`)?",
		"While it is down, every alert based on its metrics is blind.",
	},
	"ExporterCollectorFailing": {
		"The `collector` and `target` labels say which source fails; the exporter log gives the reason.",
		"A hung or unreachable backend shows as timeout; wrong credentials as auth.",
	},
	"ExporterConfigReloadFailed": {
		"`golive exporter --config.file=... --config.check` prints the error; the old config keeps running meanwhile.",
	},
}

// Runbooks renders docs/runbooks.md: one section per alert, anchored by
// the lower-cased alert name the rules' runbook_url points at.
func Runbooks(t *thresholds.Thresholds) ([]byte, error) {
	c, err := NewCatalog(t)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("<!-- Code generated by \"golive generate\" from rules/thresholds.yml. DO NOT EDIT. -->\n")
	b.WriteString("# Alert runbooks\n\nWhat each alert of `rules/*.rules.yml` means and what to check first. ")
	b.WriteString("Levels and expressions are the ones generated from `rules/thresholds.yml`.\n")
	for _, a := range c.Alerts {
		checks, ok := firstChecks[a.Name]
		if !ok {
			return nil, fmt.Errorf("alert %s has no first checks in rulegen's firstChecks", a.Name)
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", a.Name, a.Summary)
		b.WriteString("| severity | priority | expression | for |\n|---|---|---|---|\n")
		for _, l := range a.Levels {
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", l.Severity.Label(), l.Severity.Priority(),
				strings.ReplaceAll(a.Expr(l), "|", `\|`), durationString(a.For))
		}
		b.WriteString("\nFirst checks:\n\n")
		for _, c := range checks {
			fmt.Fprintf(&b, "- %s\n", c)
		}
	}
	return b.Bytes(), nil
}
