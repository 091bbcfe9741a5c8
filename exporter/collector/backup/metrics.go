package backup

import "github.com/prometheus/client_golang/prometheus"

// The metric table (names fixed in EXPORTER.md; rules and dashboards are
// generated against them). Timestamps are 0 when there is nothing to date,
// so that age alerts (time() - x > threshold) fire instead of going silent.
var (
	labels          = []string{"backup"}
	newestTimeDesc  = prometheus.NewDesc("golive_backup_newest_timestamp_seconds", "Modification time of the newest backup file, 0 when there is none.", labels, nil)
	newestSizeDesc  = prometheus.NewDesc("golive_backup_newest_size_bytes", "Size of the newest backup file.", labels, nil)
	filesDesc       = prometheus.NewDesc("golive_backup_files", "Number of backup files matching the pattern.", labels, nil)
	checksumOKDesc  = prometheus.NewDesc("golive_backup_checksum_ok", "Whether the newest backup matches its SHA-256 (1) or not, or has none (0).", labels, nil)
	restoreTimeDesc = prometheus.NewDesc("golive_backup_restore_test_timestamp_seconds", "Modification time of the restore-test marker, 0 when there is none.", labels, nil)
	offsiteTimeDesc = prometheus.NewDesc("golive_backup_offsite_newest_timestamp_seconds", "Modification time of the newest off-site copy, 0 when there is none.", labels, nil)
)
