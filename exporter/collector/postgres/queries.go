package postgres

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// resultRows is the part of *pgconn.ResultReader the emitters use: rows of
// text-format values, nil for NULL.
type resultRows interface {
	NextRow() bool
	Values() [][]byte
}

// query is one statement of a scrape. All of a scrape's statements go to the
// server in one pipeline (one network round trip), each with its own sync
// point so that one failing statement does not abort the others.
type query struct {
	name string // prepared statement name, unique per SQL text
	sql  string
	// args, when set, returns the statement's parameters in text format for
	// the connection whose backend has process id pid.
	args func(s *scraper, pid uint32) [][]byte
	// emit reads the statement's rows and sends metrics.
	emit func(s *scraper, rr resultRows, ch chan<- prometheus.Metric) error
}

// queriesFor returns the statements for a server of the given major version.
// PostgreSQL 10 or later is required (pg_wal_* function names).
func queriesFor(major int) []query {
	return []query{
		{name: fmt.Sprintf("golive_pg_instance_%d", serverStatsLayout(major)), sql: instanceSQL + serverStatsSQL(major), emit: instanceEmitter(major)},
		{name: fmt.Sprintf("golive_pg_stat_database_%d", statDatabaseLayout(major)), sql: statDatabaseSQL(major), emit: statDatabaseEmitter(major)},
		{name: "golive_pg_database", sql: databaseSQL, args: (*scraper).databaseArgs, emit: (*scraper).emitDatabase},
		{name: "golive_pg_stat_activity", sql: activitySQL, emit: (*scraper).emitActivity},
		{name: "golive_pg_locks", sql: locksSQL, emit: (*scraper).emitLocks},
		{name: "golive_pg_settings_since", sql: settingsSQL, args: (*scraper).settingsArgs, emit: (*scraper).emitSettings},
		{name: "golive_pg_stat_replication", sql: replicationSQL, emit: (*scraper).emitReplication},
	}
}

// statDatabaseLayout and serverStatsLayout name the column sets a major
// version has, so that each set gets its own prepared statement name.
func statDatabaseLayout(major int) int {
	switch {
	case major >= 16:
		return 16 // + confl_active_logicalslot
	case major >= 14:
		return 14 // + active_time
	default:
		return 10
	}
}

func serverStatsLayout(major int) int {
	if major >= 17 {
		return 17 // checkpointer columns in pg_stat_checkpointer
	}
	return 10
}

// instanceSQL reads the one-row facts: version, role, replication lag (as
// postgres_exporter's pg_replication collector computes it) and start time.
// The server-wide statistics views (serverStatsSQL) complete the row: one
// statement less per scrape, which the server feels more than the columns.
const instanceSQL = `SELECT version(),
  pg_is_in_recovery(),
  (CASE WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())))
   END)::float8,
  COALESCE(GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))), 0)::float8,
  EXTRACT(EPOCH FROM pg_postmaster_start_time())::float8`

// instanceColumns is how many columns instanceSQL has.
const instanceColumns = 5

// instanceEmitter returns the emitter for instanceSQL+serverStatsSQL(major).
func instanceEmitter(major int) func(s *scraper, rr resultRows, ch chan<- prometheus.Metric) error {
	return func(s *scraper, rr resultRows, ch chan<- prometheus.Metric) error {
		if !rr.NextRow() {
			return fmt.Errorf("instance query returned no row")
		}
		v := rr.Values()
		if len(v) < instanceColumns {
			return fmt.Errorf("instance query returned %d columns", len(v))
		}
		s.emitInstance(v[:instanceColumns], ch)
		return s.emitServerStats(major, v[instanceColumns:], ch)
	}
}

// statDatabaseSQL reads pg_stat_database joined with
// pg_stat_database_conflicts (one statement for both views): the
// statDatabaseColumns, active_time from PostgreSQL 14 on, then the
// conflictColumns and, from 16 on, confl_active_logicalslot.
func statDatabaseSQL(major int) string {
	cols := make([]string, 0, len(statDatabaseColumns)+len(conflictColumns)+2)
	for _, c := range statDatabaseColumns {
		switch c.name {
		case "stats_reset":
			// Whole seconds, 0 when never reset, as postgres_exporter reports it.
			cols = append(cols, "COALESCE(floor(EXTRACT(EPOCH FROM d.stats_reset)), 0)::float8")
		default:
			cols = append(cols, "d."+c.name)
		}
	}
	if major >= 14 {
		cols = append(cols, "d.active_time")
	}
	for _, c := range conflictColumns {
		cols = append(cols, "c."+c.name)
	}
	if major >= 16 {
		cols = append(cols, "c."+logicalSlotConflictColumn.name)
	}
	// The row for shared objects has no datname; postgres_exporter skips it.
	return "SELECT d.datid::text, d.datname, " + strings.Join(cols, ", ") +
		" FROM pg_stat_database d LEFT JOIN pg_stat_database_conflicts c ON c.datid = d.datid" +
		" WHERE d.datname IS NOT NULL"
}

// activitySQL reports every (database, state) pair, zeros included, like
// postgres_exporter's default pg_stat_activity query.
const activitySQL = `SELECT pg_database.datname, tmp.state,
  COALESCE(count, 0), COALESCE(max_tx_duration, 0)
FROM (VALUES ('active'), ('idle'), ('idle in transaction'), ('idle in transaction (aborted)'),
             ('fastpath function call'), ('disabled')) AS tmp(state)
CROSS JOIN pg_database
LEFT JOIN (SELECT datname, state, count(*) AS count,
                  MAX(EXTRACT(EPOCH FROM now() - xact_start))::float8 AS max_tx_duration
           FROM pg_stat_activity GROUP BY datname, state) AS tmp2
  ON tmp.state = tmp2.state AND pg_database.datname = tmp2.datname`

// settingsSQL reads pg_settings only when they may have changed since the
// version passed as $1: the first row always names this session's settings
// version (backend pid, its start, and when the server last read its config
// files), and the settings follow only when that differs from $1. Settings
// change on a reload or restart (a new load time) or per session (ALTER
// DATABASE/ROLE SET reach new sessions only: a new backend), so an unchanged
// version means unchanged values; skipping the ~250-row scan and its metrics
// halves the exporter's and the server's CPU per scrape.
//
// For a setting this session changed with SET (our own statement_timeout),
// it reports the value a session starts with (reset_val) instead of ours.
// Otherwise it reads setting, as postgres_exporter does: reset_val differs for
// settings with a display hook (file modes, TCP keepalives).
const settingsSQL = `WITH v AS MATERIALIZED (
  SELECT pg_backend_pid() || ' ' || backend_start || ' ' || pg_conf_load_time() AS version
  FROM pg_stat_get_activity(pg_backend_pid()))
SELECT v.version, s.name, s.value, s.unit, s.short_desc, s.vartype
FROM v LEFT JOIN (
  SELECT name, CASE WHEN source = 'session' THEN reset_val ELSE setting END AS value,
         COALESCE(unit, '') AS unit, short_desc, vartype
  FROM pg_settings
  -- An uncorrelated condition: the planner makes it a one-time filter and
  -- skips the pg_settings scan when the version is the one we have.
  WHERE vartype IN ('bool', 'integer', 'real') AND (SELECT version FROM v) IS DISTINCT FROM $1::text) AS s ON true`

// replicationSQL gives, on a primary, each standby's lag in bytes; on a
// standby the values are NULL (reported as NaN, as postgres_exporter does).
const replicationSQL = `SELECT COALESCE(application_name, ''), COALESCE(host(client_addr), ''), COALESCE(state, ''),
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 END,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 END
FROM pg_stat_replication`

// emitInstance sends the metrics of instanceSQL's columns.
func (s *scraper) emitInstance(v [][]byte, ch chan<- prometheus.Metric) {
	version := string(v[0])
	ch <- constMetric(s.d.static, prometheus.UntypedValue, 1, version, shortVersion(version))
	isReplica := 0.0
	if string(v[1]) == "t" {
		isReplica = 1
	}
	ch <- constMetric(s.d.isReplica, prometheus.GaugeValue, isReplica)
	for _, m := range []struct {
		desc *prometheus.Desc
		raw  []byte
	}{{s.d.replicationLag, v[2]}, {s.d.lastReplay, v[3]}, {s.d.postmasterStart, v[4]}} {
		if f, ok := parseFloat(m.raw); ok {
			ch <- constMetric(m.desc, prometheus.GaugeValue, f)
		}
	}
}

// statDatabaseEmitter returns the emitter for statDatabaseSQL(major).
func statDatabaseEmitter(major int) func(s *scraper, rr resultRows, ch chan<- prometheus.Metric) error {
	type out struct {
		desc *prometheus.Desc
		col  column
	}
	return func(s *scraper, rr resultRows, ch chan<- prometheus.Metric) error {
		outs := make([]out, 0, len(statDatabaseColumns)+len(conflictColumns)+2)
		for i, c := range statDatabaseColumns {
			outs = append(outs, out{s.d.statDatabase[i], c})
		}
		if major >= 14 {
			outs = append(outs, out{s.d.activeTime, activeTimeColumn})
		}
		for i, c := range conflictColumns {
			outs = append(outs, out{s.d.stats.conflicts[i], c})
		}
		if major >= 16 {
			outs = append(outs, out{s.d.stats.logicalSlotConflicts, logicalSlotConflictColumn})
		}
		for rr.NextRow() {
			v := rr.Values()
			if len(v) != 2+len(outs) {
				return fmt.Errorf("pg_stat_database query returned %d columns, want %d", len(v), 2+len(outs))
			}
			datid, datname := string(v[0]), string(v[1])
			for i, o := range outs {
				f, ok := parseFloat(v[2+i])
				if !ok {
					continue
				}
				if o.col.scale != 0 {
					f *= o.col.scale
				}
				ch <- constMetric(o.desc, o.col.vtype, f, datid, datname)
			}
		}
		return nil
	}
}

func (s *scraper) emitActivity(rr resultRows, ch chan<- prometheus.Metric) error {
	for rr.NextRow() {
		v := rr.Values()
		datname, state := string(v[0]), string(v[1])
		if f, ok := parseFloat(v[2]); ok {
			ch <- constMetric(s.d.activityCount, prometheus.GaugeValue, f, datname, state)
		}
		if f, ok := parseFloat(v[3]); ok {
			ch <- constMetric(s.d.activityMaxTxDuration, prometheus.GaugeValue, f, datname, state)
		}
	}
	return nil
}

func (s *scraper) settingsArgs(pid uint32) [][]byte {
	return [][]byte{[]byte(s.settings.version(pid))}
}

func (s *scraper) emitSettings(rr resultRows, ch chan<- prometheus.Metric) error {
	var (
		version string
		metrics []prometheus.Metric
		fresh   bool
	)
	for rr.NextRow() {
		v := rr.Values()
		version = string(v[0])
		if v[1] == nil { // unchanged since the version we sent
			continue
		}
		fresh = true
		st := setting{name: string(v[1]), value: string(v[2]), unit: string(v[3]), shortDesc: string(v[4]), vartype: string(v[5])}
		name, help, value, err := st.metric()
		if err != nil {
			// One odd setting (a new unit in a future release) must not
			// cost the others; postgres_exporter would panic here.
			s.logger.Debug("skipping setting", "err", err)
			continue
		}
		m, err := prometheus.NewConstMetric(s.settings.get(name, help), prometheus.GaugeValue, value)
		if err != nil {
			s.logger.Debug("skipping setting", "setting", st.name, "err", err)
			continue
		}
		metrics = append(metrics, m)
	}
	if version == "" {
		return nil // no row: the pipeline's error says why
	}
	if fresh {
		s.settings.store(version, metrics)
	} else {
		metrics = s.settings.cached(version)
	}
	for _, m := range metrics {
		ch <- m
	}
	return nil
}

// emitReplication keeps, for standbys that share application_name,
// client_addr and state (two base backups from one host), the largest lag:
// emitting both would be a duplicate series and fail the whole scrape.
func (s *scraper) emitReplication(rr resultRows, ch chan<- prometheus.Metric) error {
	type key struct{ app, addr, state string }
	type lsn struct{ current, diff float64 }
	seen := map[key]lsn{}
	var order []key
	for rr.NextRow() {
		v := rr.Values()
		k := key{string(v[0]), string(v[1]), string(v[2])}
		cur, diff := nullAsNaN(v[3]), nullAsNaN(v[4])
		prev, ok := seen[k]
		if !ok {
			order = append(order, k)
			seen[k] = lsn{cur, diff}
			continue
		}
		if diff > prev.diff || math.IsNaN(prev.diff) {
			seen[k] = lsn{cur, diff}
		}
	}
	for _, k := range order {
		l := seen[k]
		ch <- constMetric(s.d.replicationCurrentLSNBytes, prometheus.GaugeValue, l.current, k.app, k.addr, k.state)
		ch <- constMetric(s.d.replicationDiff, prometheus.GaugeValue, l.diff, k.app, k.addr, k.state)
	}
	return nil
}

// parseFloat reads a text-format numeric value; NULL is not ok.
func parseFloat(b []byte) (float64, bool) {
	if b == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

func nullAsNaN(b []byte) float64 {
	if f, ok := parseFloat(b); ok {
		return f
	}
	return math.NaN()
}

var versionRE = regexp.MustCompile(`^\w+ (\d+)(?:\.(\d+))?(?:\.(\d+))?`)

// shortVersion turns "PostgreSQL 15.4 (Debian ...) on x86_64..." into
// "15.4.0", postgres_exporter's short_version (a semantic version).
func shortVersion(version string) string {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		return ""
	}
	parts := []string{m[1], m[2], m[3]}
	for i, p := range parts {
		if p == "" {
			parts[i] = "0"
		}
	}
	return strings.Join(parts, ".")
}

// majorVersion reads the major version from the server_version parameter the
// server reports at connection start ("15.4 (Debian ...)", "16beta1"), so
// choosing the queries costs no round trip.
func majorVersion(serverVersion string) int {
	end := 0
	for end < len(serverVersion) && serverVersion[end] >= '0' && serverVersion[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(serverVersion[:end])
	if err != nil {
		return 0
	}
	return n
}

// constMetric is MustNewConstMetric without the panic: a label value that is
// not UTF-8 (a datname in a SQL_ASCII cluster) makes an invalid metric that
// fails that series, not the process.
func constMetric(desc *prometheus.Desc, vt prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(desc, vt, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(desc, err)
	}
	return m
}
