package postgres

import "github.com/prometheus/client_golang/prometheus"

// The names, types, label names and value semantics below are
// postgres_exporter's (its collector package and default queries), so that
// dashboards and alerts written for it work unchanged.

// column maps one numeric result column to a metric.
type column struct {
	name  string
	help  string
	vtype prometheus.ValueType
	// scale multiplies the raw value (0 means 1): pg_stat_database.active_time
	// is in milliseconds, the metric in seconds.
	scale float64
}

// statDatabaseColumns are pg_stat_database's columns after datid and datname,
// in query order; each becomes pg_stat_database_<name>{datid,datname}.
var statDatabaseColumns = []column{
	{name: "numbackends", vtype: prometheus.GaugeValue, help: "Number of backends currently connected to this database. This is the only column in this view that returns a value reflecting current state; all other columns return the accumulated values since the last reset."},
	{name: "xact_commit", vtype: prometheus.CounterValue, help: "Number of transactions in this database that have been committed"},
	{name: "xact_rollback", vtype: prometheus.CounterValue, help: "Number of transactions in this database that have been rolled back"},
	{name: "blks_read", vtype: prometheus.CounterValue, help: "Number of disk blocks read in this database"},
	{name: "blks_hit", vtype: prometheus.CounterValue, help: "Number of times disk blocks were found already in the buffer cache, so that a read was not necessary (this only includes hits in the PostgreSQL buffer cache, not the operating system's file system cache)"},
	{name: "tup_returned", vtype: prometheus.CounterValue, help: "Number of rows returned by queries in this database"},
	{name: "tup_fetched", vtype: prometheus.CounterValue, help: "Number of rows fetched by queries in this database"},
	{name: "tup_inserted", vtype: prometheus.CounterValue, help: "Number of rows inserted by queries in this database"},
	{name: "tup_updated", vtype: prometheus.CounterValue, help: "Number of rows updated by queries in this database"},
	{name: "tup_deleted", vtype: prometheus.CounterValue, help: "Number of rows deleted by queries in this database"},
	{name: "conflicts", vtype: prometheus.CounterValue, help: "Number of queries canceled due to conflicts with recovery in this database. (Conflicts occur only on standby servers; see pg_stat_database_conflicts for details.)"},
	{name: "temp_files", vtype: prometheus.CounterValue, help: "Number of temporary files created by queries in this database. All temporary files are counted, regardless of why the temporary file was created (e.g., sorting or hashing), and regardless of the log_temp_files setting."},
	{name: "temp_bytes", vtype: prometheus.CounterValue, help: "Total amount of data written to temporary files by queries in this database. All temporary files are counted, regardless of why the temporary file was created, and regardless of the log_temp_files setting."},
	{name: "deadlocks", vtype: prometheus.CounterValue, help: "Number of deadlocks detected in this database"},
	{name: "blk_read_time", vtype: prometheus.CounterValue, help: "Time spent reading data file blocks by backends in this database, in milliseconds"},
	{name: "blk_write_time", vtype: prometheus.CounterValue, help: "Time spent writing data file blocks by backends in this database, in milliseconds"},
	{name: "stats_reset", vtype: prometheus.CounterValue, help: "Time at which these statistics were last reset"},
}

// activeTimeColumn exists from PostgreSQL 14 on.
var activeTimeColumn = column{name: "active_time_seconds_total", vtype: prometheus.CounterValue, scale: 1.0 / 1000, help: "Time spent executing SQL statements in this database, in seconds"}

// descs holds every fixed descriptor, built once per scraper with its
// constant labels (server="<name>" in /metrics, none for /probe).
type descs struct {
	up, static                                  *prometheus.Desc
	replicationLag, isReplica, lastReplay       *prometheus.Desc
	postmasterStart                             *prometheus.Desc
	databaseSize, databaseConnLimit             *prometheus.Desc
	activityCount, activityMaxTxDuration        *prometheus.Desc
	replicationCurrentLSNBytes, replicationDiff *prometheus.Desc
	statDatabase                                []*prometheus.Desc // parallel to statDatabaseColumns
	activeTime                                  *prometheus.Desc
	stats                                       statsDescs
}

func newDescs(constLabels prometheus.Labels) *descs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, constLabels)
	}
	ds := &descs{
		up:                         d("pg_up", "Whether the last scrape of metrics from PostgreSQL was able to connect to the server (1 for yes, 0 for no)."),
		static:                     d("pg_static", "Version string as reported by postgres", "version", "short_version"),
		replicationLag:             d("pg_replication_lag_seconds", "Replication lag behind master in seconds"),
		isReplica:                  d("pg_replication_is_replica", "Indicates if the server is a replica"),
		lastReplay:                 d("pg_replication_last_replay_seconds", "Age of last replay in seconds"),
		postmasterStart:            d("pg_postmaster_start_time_seconds", "Time at which postmaster started"),
		databaseSize:               d("pg_database_size_bytes", "Disk space used by the database", "datname"),
		databaseConnLimit:          d("pg_database_connection_limit", "Connection limit set for the database", "datname"),
		activityCount:              d("pg_stat_activity_count", "number of connections in this state", "datname", "state"),
		activityMaxTxDuration:      d("pg_stat_activity_max_tx_duration", "max duration in seconds any active transaction has been running", "datname", "state"),
		replicationCurrentLSNBytes: d("pg_stat_replication_pg_current_wal_lsn_bytes", "WAL position in bytes", "application_name", "client_addr", "state"),
		replicationDiff:            d("pg_stat_replication_pg_wal_lsn_diff", "Lag in bytes between master and slave", "application_name", "client_addr", "state"),
		activeTime:                 d("pg_stat_database_"+activeTimeColumn.name, activeTimeColumn.help, "datid", "datname"),
	}
	ds.stats = newStatsDescs(d)
	for _, c := range statDatabaseColumns {
		ds.statDatabase = append(ds.statDatabase, d("pg_stat_database_"+c.name, c.help, "datid", "datname"))
	}
	return ds
}
