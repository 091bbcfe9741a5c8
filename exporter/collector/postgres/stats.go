package postgres

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// The server-wide statistics views and pg_locks, under postgres_exporter's
// names: its bgwriter, stat_checkpointer, stat_archiver and locks
// collectors, and the pg_stat_database_conflicts default query.

// conflictColumns are pg_stat_database_conflicts' counters; each becomes
// pg_stat_database_conflicts_<name>{datid,datname}. They are read with
// pg_stat_database (one statement, joined on datid).
var conflictColumns = []column{
	{name: "confl_tablespace", vtype: prometheus.CounterValue, help: "Number of queries in this database that have been canceled due to dropped tablespaces"},
	{name: "confl_lock", vtype: prometheus.CounterValue, help: "Number of queries in this database that have been canceled due to lock timeouts"},
	{name: "confl_snapshot", vtype: prometheus.CounterValue, help: "Number of queries in this database that have been canceled due to old snapshots"},
	{name: "confl_bufferpin", vtype: prometheus.CounterValue, help: "Number of queries in this database that have been canceled due to pinned buffers"},
	{name: "confl_deadlock", vtype: prometheus.CounterValue, help: "Number of queries in this database that have been canceled due to deadlocks"},
}

// logicalSlotConflictColumn exists from PostgreSQL 16 on.
var logicalSlotConflictColumn = column{name: "confl_active_logicalslot", vtype: prometheus.CounterValue, help: "Number of uses of logical slots in this database that have been canceled due to old snapshots or too low a wal_level on the primary"}

// bgwriterColumns are pg_stat_bgwriter's columns up to PostgreSQL 16, in
// query order, and the metric each becomes (pg_stat_bgwriter_<metric>).
// PostgreSQL 17 moved the checkpoint columns to pg_stat_checkpointer and
// dropped buffers_backend and buffers_backend_fsync (now in pg_stat_io).
var bgwriterColumns = []struct {
	sql string
	column
}{
	{"checkpoints_timed", column{name: "checkpoints_timed_total", help: "Number of scheduled checkpoints that have been performed"}},
	{"checkpoints_req", column{name: "checkpoints_req_total", help: "Number of requested checkpoints that have been performed"}},
	{"checkpoint_write_time", column{name: "checkpoint_write_time_total", help: "Total amount of time that has been spent in the portion of checkpoint processing where files are written to disk, in milliseconds"}},
	{"checkpoint_sync_time", column{name: "checkpoint_sync_time_total", help: "Total amount of time that has been spent in the portion of checkpoint processing where files are synchronized to disk, in milliseconds"}},
	{"buffers_checkpoint", column{name: "buffers_checkpoint_total", help: "Number of buffers written during checkpoints"}},
	{"buffers_clean", column{name: "buffers_clean_total", help: "Number of buffers written by the background writer"}},
	{"maxwritten_clean", column{name: "maxwritten_clean_total", help: "Number of times the background writer stopped a cleaning scan because it had written too many buffers"}},
	{"buffers_backend", column{name: "buffers_backend_total", help: "Number of buffers written directly by a backend"}},
	{"buffers_backend_fsync", column{name: "buffers_backend_fsync_total", help: "Number of times a backend had to execute its own fsync call (normally the background writer handles those even when the backend does its own write)"}},
	{"buffers_alloc", column{name: "buffers_alloc_total", help: "Number of buffers allocated"}},
	{"stats_reset", column{name: "stats_reset_total", help: "Time at which these statistics were last reset"}},
}

// bgwriterColumns17 are the pg_stat_bgwriter columns PostgreSQL 17 kept.
var bgwriterColumns17 = []string{"buffers_clean", "maxwritten_clean", "buffers_alloc", "stats_reset"}

// checkpointerColumns are pg_stat_checkpointer's (PostgreSQL 17+), each
// pg_stat_checkpointer_<metric>, as postgres_exporter's stat_checkpointer
// collector names them.
var checkpointerColumns = []struct {
	sql string
	column
}{
	{"num_timed", column{name: "num_timed_total", help: "Number of scheduled checkpoints due to timeout"}},
	{"num_requested", column{name: "num_requested_total", help: "Number of requested checkpoints that have been performed"}},
	{"restartpoints_timed", column{name: "restartpoints_timed_total", help: "Number of scheduled restartpoints due to timeout or after a failed attempt to perform it"}},
	{"restartpoints_req", column{name: "restartpoints_req_total", help: "Number of requested restartpoints"}},
	{"restartpoints_done", column{name: "restartpoints_done_total", help: "Number of restartpoints that have been performed"}},
	{"write_time", column{name: "write_time_total", help: "Total amount of time that has been spent in the portion of processing checkpoints and restartpoints where files are written to disk, in milliseconds"}},
	{"sync_time", column{name: "sync_time_total", help: "Total amount of time that has been spent in the portion of processing checkpoints and restartpoints where files are synchronized to disk, in milliseconds"}},
	{"buffers_written", column{name: "buffers_written_total", help: "Number of buffers written during checkpoints and restartpoints"}},
	{"stats_reset", column{name: "stats_reset_total", help: "Time at which these statistics were last reset"}},
}

// statsDescs are the descriptors of this file's metrics.
type statsDescs struct {
	locks                                             *prometheus.Desc
	conflicts                                         []*prometheus.Desc // parallel to conflictColumns
	logicalSlotConflicts                              *prometheus.Desc
	bgwriter                                          map[string]*prometheus.Desc // by SQL column
	checkpointer                                      map[string]*prometheus.Desc // by SQL column
	archivedCount, archiveFailedCount, lastArchiveAge *prometheus.Desc
}

func newStatsDescs(d func(name, help string, labels ...string) *prometheus.Desc) statsDescs {
	s := statsDescs{
		locks:                d("pg_locks_count", "Number of locks", "datname", "mode"),
		logicalSlotConflicts: d("pg_stat_database_conflicts_"+logicalSlotConflictColumn.name, logicalSlotConflictColumn.help, "datid", "datname"),
		bgwriter:             map[string]*prometheus.Desc{},
		checkpointer:         map[string]*prometheus.Desc{},
		archivedCount:        d("pg_stat_archiver_archived_count", "Number of WAL files that have been successfully archived"),
		archiveFailedCount:   d("pg_stat_archiver_failed_count", "Number of failed attempts for archiving WAL files"),
		lastArchiveAge:       d("pg_stat_archiver_last_archive_age", "Time in seconds since last WAL segment was successfully archived"),
	}
	for _, c := range conflictColumns {
		s.conflicts = append(s.conflicts, d("pg_stat_database_conflicts_"+c.name, c.help, "datid", "datname"))
	}
	for _, c := range bgwriterColumns {
		s.bgwriter[c.sql] = d("pg_stat_bgwriter_"+c.name, c.help)
	}
	for _, c := range checkpointerColumns {
		s.checkpointer[c.sql] = d("pg_stat_checkpointer_"+c.name, c.help)
	}
	return s
}

// locksSQL counts the locks per database and mode, every pair with zeros
// included, as postgres_exporter's locks collector does.
const locksSQL = `SELECT pg_database.datname, tmp.mode, COALESCE(count, 0)
FROM (VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'), ('shareupdateexclusivelock'),
             ('sharelock'), ('sharerowexclusivelock'), ('exclusivelock'), ('accessexclusivelock'),
             ('sireadlock')) AS tmp(mode)
CROSS JOIN pg_database
LEFT JOIN (SELECT database, lower(mode) AS mode, count(*) AS count
           FROM pg_locks WHERE database IS NOT NULL
           GROUP BY database, lower(mode)) AS tmp2
  ON tmp.mode = tmp2.mode AND pg_database.oid = tmp2.database`

func (s *scraper) emitLocks(rr resultRows, ch chan<- prometheus.Metric) error {
	for rr.NextRow() {
		v := rr.Values()
		if len(v) != 3 {
			return fmt.Errorf("locks query returned %d columns, want 3", len(v))
		}
		if f, ok := parseFloat(v[2]); ok {
			ch <- constMetric(s.d.stats.locks, prometheus.GaugeValue, f, string(v[0]), string(v[1]))
		}
	}
	return nil
}

// serverStatsSQL completes instanceSQL with the one-row, server-wide views:
// the background writer, the checkpointer (its own view from PostgreSQL 17
// on) and the WAL archiver. Timestamps are whole Unix seconds, a never-reset
// stats_reset 0, as postgres_exporter reports them; last_archive_age is NULL
// (no metric) until a segment has been archived.
func serverStatsSQL(major int) string {
	epoch := func(table, col string) string {
		return "COALESCE(floor(EXTRACT(EPOCH FROM " + table + "." + col + ")), 0)::float8"
	}
	col := func(table, c string) string {
		if c == "stats_reset" {
			return epoch(table, c)
		}
		return table + "." + c
	}
	var cols []string
	if major >= 17 {
		for _, c := range bgwriterColumns17 {
			cols = append(cols, col("b", c))
		}
		for _, c := range checkpointerColumns {
			cols = append(cols, col("c", c.sql))
		}
	} else {
		for _, c := range bgwriterColumns {
			cols = append(cols, col("b", c.sql))
		}
	}
	cols = append(cols, "a.archived_count", "a.failed_count",
		"EXTRACT(EPOCH FROM now() - a.last_archived_time)::float8")
	from := " FROM pg_stat_bgwriter b CROSS JOIN pg_stat_archiver a"
	if major >= 17 {
		from += " CROSS JOIN pg_stat_checkpointer c"
	}
	return ",\n  " + strings.Join(cols, ", ") + from
}

// serverStatsDescs are the counters of serverStatsSQL(major), in column
// order, before the three archiver columns.
func (s *scraper) serverStatsDescs(major int) []*prometheus.Desc {
	var descs []*prometheus.Desc
	if major >= 17 {
		for _, c := range bgwriterColumns17 {
			descs = append(descs, s.d.stats.bgwriter[c])
		}
		for _, c := range checkpointerColumns {
			descs = append(descs, s.d.stats.checkpointer[c.sql])
		}
		return descs
	}
	for _, c := range bgwriterColumns {
		descs = append(descs, s.d.stats.bgwriter[c.sql])
	}
	return descs
}

// emitServerStats sends the metrics of serverStatsSQL(major)'s columns.
func (s *scraper) emitServerStats(major int, v [][]byte, ch chan<- prometheus.Metric) error {
	descs := s.serverStatsDescs(major)
	if len(v) != len(descs)+3 {
		return fmt.Errorf("server statistics: %d columns, want %d", len(v), len(descs)+3)
	}
	for i, desc := range descs {
		// A NULL counter is 0, as postgres_exporter reports it.
		f, _ := parseFloat(v[i])
		ch <- constMetric(desc, prometheus.CounterValue, f)
	}
	archiver := v[len(descs):]
	for i, desc := range []*prometheus.Desc{s.d.stats.archivedCount, s.d.stats.archiveFailedCount} {
		if f, ok := parseFloat(archiver[i]); ok {
			ch <- constMetric(desc, prometheus.CounterValue, f)
		}
	}
	if f, ok := parseFloat(archiver[2]); ok {
		ch <- constMetric(s.d.stats.lastArchiveAge, prometheus.GaugeValue, f)
	}
	return nil
}
