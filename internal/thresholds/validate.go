package thresholds

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Validate checks every field and returns all problems, each naming the
// field's path in the file.
func (t *Thresholds) Validate() error {
	var v validator
	v.runbookURL("runbook_url", t.RunbookURL)
	v.regexp("jobs.host", t.Jobs.Host)
	v.regexp("jobs.application", t.Jobs.Application)
	v.regexp("jobs.postgres", t.Jobs.Postgres)
	v.regexp("jobs.redis", t.Jobs.Redis)
	v.regexp("jobs.probes", t.Jobs.Probes)
	v.regexp("jobs.exporter", t.Jobs.Exporter)

	v.hostPercent("host.cpu", t.Host.CPU)
	v.hostPercent("host.memory", t.Host.Memory)
	v.hostPercent("host.disk", t.Host.Disk)

	v.down("application.down", t.Application.Down)
	v.secondsAbove("application.latency_p95", t.Application.LatencyP95)
	v.percentAbove("application.error_rate", t.Application.ErrorRate)
	v.labelName("application.status_label", t.Application.StatusLabel)
	v.regexp("application.error_status", t.Application.ErrorStatus)

	v.down("postgres.down", t.Postgres.Down)
	v.percentAbove("postgres.connections", t.Postgres.Connections)
	v.percentBelow("postgres.cache_hit_ratio", t.Postgres.CacheHitRatio)
	v.secondsAbove("postgres.replication_lag", t.Postgres.ReplicationLag)
	v.countAbove("postgres.deadlocks", t.Postgres.Deadlocks)

	v.down("redis.down", t.Redis.Down)
	v.percentAbove("redis.memory", t.Redis.Memory)
	v.countAbove("redis.rejected_connections", t.Redis.RejectedConnections)
	v.ageAbove("redis.last_save", t.Redis.LastSave)

	v.down("probes.failure", t.Probes.Failure)
	v.secondsAbove("probes.slow", t.Probes.Slow)
	v.daysBelow("probes.certificate", t.Probes.Certificate)

	v.ageAbove("backups.age", t.Backups.Age)
	v.down("backups.not_verified", t.Backups.NotVerified)
	v.ageAbove("backups.restore_test_age", t.Backups.RestoreTestAge)

	v.regexp("services.names", t.Services.Names)
	v.down("services.down", t.Services.Down)

	v.regexp("sql_checks.migration_checks", t.SQLChecks.MigrationChecks)
	v.nonEmpty("sql_checks.mismatch_column", t.SQLChecks.MismatchColumn)
	v.rowsAbove("sql_checks.mismatch", t.SQLChecks.Mismatch)
	v.down("sql_checks.failure", t.SQLChecks.Failure)

	v.down("exporter.down", t.Exporter.Down)
	v.down("exporter.collector_failure", t.Exporter.CollectorFailure)
	v.down("exporter.reload_failure", t.Exporter.ReloadFailure)
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func (v *validator) runbookURL(path, pattern string) {
	if strings.Count(pattern, "%s") != 1 || strings.Count(pattern, "%") != 1 {
		v.fail(path, "%q must contain %%s exactly once (it is replaced by the alert name) and no other %%", pattern)
		return
	}
	u, err := url.Parse(strings.Replace(pattern, "%s", "alertname", 1))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.fail(path, "%q is not an absolute http(s) URL", pattern)
	}
}

func (v *validator) regexp(path, re string) {
	if re == "" {
		v.fail(path, "must not be empty")
		return
	}
	if _, err := regexp.Compile("^(?:" + re + ")$"); err != nil {
		v.fail(path, "invalid regular expression %q: %v", re, err)
	}
}

func (v *validator) nonEmpty(path, s string) {
	if s == "" {
		v.fail(path, "must not be empty")
	}
}

func (v *validator) labelName(path, name string) {
	if !model.LegacyValidation.IsValidLabelName(name) {
		v.fail(path, "%q is not a valid Prometheus label name", name)
	}
}

func (v *validator) duration(path string, d model.Duration) {
	if d < 0 {
		v.fail(path, "must not be negative")
	}
}

func (v *validator) down(path string, d Down) {
	v.duration(path+".for", d.For)
	if !d.Severity.Valid() {
		v.fail(path+".severity", "%q is not one of emergency, critical, warning, info", d.Severity)
	}
}

// ordered checks two optional levels of one quantity: each within [lo, hi],
// and warning before critical in the quantity's bad direction.
func (v *validator) ordered(path, unit string, warning, critical *float64, lo, hi float64, higherIsWorse bool) {
	for _, l := range []struct {
		key string
		val *float64
	}{{"warning_" + unit, warning}, {"critical_" + unit, critical}} {
		switch {
		case l.val == nil:
		case hi == unbounded && !(*l.val >= lo && *l.val <= hi): // also rejects NaN and Inf
			v.fail(path+"."+l.key, "%s must be a finite number >= %s", num(*l.val), num(lo))
		case !(*l.val >= lo && *l.val <= hi):
			v.fail(path+"."+l.key, "%s is outside %s..%s", num(*l.val), num(lo), num(hi))
		}
	}
	if warning == nil || critical == nil {
		return
	}
	switch {
	case higherIsWorse && *warning >= *critical:
		v.fail(path, "warning_%s (%s) must be below critical_%s (%s): higher is worse", unit, num(*warning), unit, num(*critical))
	case !higherIsWorse && *warning <= *critical:
		v.fail(path, "warning_%s (%s) must be above critical_%s (%s): lower is worse", unit, num(*warning), unit, num(*critical))
	}
}

const unbounded = 1e300

func (v *validator) percentAbove(path string, p PercentAbove) {
	v.ordered(path, "percent", p.WarningPercent, p.CriticalPercent, 0, 100, true)
	v.duration(path+".for", p.For)
}

func (v *validator) hostPercent(path string, h HostPercent) {
	v.percentAbove(path, h.PercentAbove)
	y := h.DashboardYellowPercent
	if y == nil {
		return
	}
	if !(*y >= 0 && *y <= 100) {
		v.fail(path+".dashboard_yellow_percent", "%s is outside 0..100", num(*y))
		return
	}
	if ls := h.Levels(); len(ls) > 0 && *y >= ls[0].Value {
		v.fail(path+".dashboard_yellow_percent", "%s must be below the first alert level (%s)", num(*y), num(ls[0].Value))
	}
}

func (v *validator) percentBelow(path string, p PercentBelow) {
	v.ordered(path, "percent", p.WarningPercent, p.CriticalPercent, 0, 100, false)
	v.duration(path+".for", p.For)
}

func (v *validator) secondsAbove(path string, s SecondsAbove) {
	v.ordered(path, "seconds", s.WarningSeconds, s.CriticalSeconds, 0, unbounded, true)
	v.duration(path+".for", s.For)
}

func (v *validator) daysBelow(path string, d DaysBelow) {
	v.ordered(path, "days", d.WarningDays, d.CriticalDays, 0, unbounded, false)
	v.duration(path+".for", d.For)
}

func (v *validator) countAbove(path string, c CountAbove) {
	v.ordered(path, "count", c.WarningCount, c.CriticalCount, 0, unbounded, true)
	if c.Window < model.Duration(time.Minute) {
		v.fail(path+".window", "%s is shorter than 1m; counters need a window of several scrapes", c.Window)
	}
}

func (v *validator) rowsAbove(path string, r RowsAbove) {
	v.ordered(path, "rows", r.WarningRows, r.CriticalRows, 0, unbounded, true)
	v.duration(path+".for", r.For)
}

func (v *validator) ageAbove(path string, a AgeAbove) {
	for _, l := range []struct {
		key string
		val *model.Duration
	}{{"warning_age", a.WarningAge}, {"critical_age", a.CriticalAge}} {
		if l.val != nil && *l.val <= 0 {
			v.fail(path+"."+l.key, "must be positive")
		}
	}
	if a.WarningAge != nil && a.CriticalAge != nil && *a.WarningAge >= *a.CriticalAge {
		v.fail(path, "warning_age (%s) must be below critical_age (%s): higher is worse", a.WarningAge, a.CriticalAge)
	}
	v.duration(path+".for", a.For)
}
