package host

import "github.com/prometheus/client_golang/prometheus"

// The metric table. Names, help texts, types and label names are
// node_exporter's (collector/*_linux.go); a change here breaks dashboards.

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// cpu (/proc/stat)
var (
	cpuSecondsDesc      = desc("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", "cpu", "mode")
	cpuGuestSecondsDesc = desc("node_cpu_guest_seconds_total", "Seconds the CPUs spent in guests (VMs) for each mode.", "cpu", "mode")
)

// loadavg (/proc/loadavg)
var loadDescs = [3]*prometheus.Desc{
	desc("node_load1", "1m load average."),
	desc("node_load5", "5m load average."),
	desc("node_load15", "15m load average."),
}

// meminfo descs are built per /proc/meminfo field: see meminfoDesc.

// filesystem (mountinfo + statfs)
var (
	filesystemLabels     = []string{"device", "mountpoint", "fstype", "device_error"}
	fsSizeDesc           = desc("node_filesystem_size_bytes", "Filesystem size in bytes.", filesystemLabels...)
	fsFreeDesc           = desc("node_filesystem_free_bytes", "Filesystem free space in bytes.", filesystemLabels...)
	fsAvailDesc          = desc("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.", filesystemLabels...)
	fsFilesDesc          = desc("node_filesystem_files", "Filesystem total file nodes.", filesystemLabels...)
	fsFilesFreeDesc      = desc("node_filesystem_files_free", "Filesystem total free file nodes.", filesystemLabels...)
	fsReadonlyDesc       = desc("node_filesystem_readonly", "Filesystem read-only status.", filesystemLabels...)
	fsDeviceErrorDesc    = desc("node_filesystem_device_error", "Whether an error occurred while getting statistics for the given device.", filesystemLabels...)
	fsMountInfoDesc      = desc("node_filesystem_mount_info", "Filesystem mount information.", "device", "major", "minor", "mountpoint")
	fsDeviceErrorTimeout = "mountpoint timeout"
	// device_error holds a bounded value: an errno text, a timeout, or this.
	fsDeviceErrorOther = "other"
)

// diskstats (/proc/diskstats), in the kernel's column order; a line holds
// only as many as its kernel knows (11, 15, 17 or more).
var diskDescs = []struct {
	desc  *prometheus.Desc
	vtype prometheus.ValueType
	scale float64
}{
	{desc("node_disk_reads_completed_total", "The total number of reads completed successfully.", "device"), prometheus.CounterValue, 1},
	{desc("node_disk_reads_merged_total", "The total number of reads merged.", "device"), prometheus.CounterValue, 1},
	{desc("node_disk_read_bytes_total", "The total number of bytes read successfully.", "device"), prometheus.CounterValue, unixSectorSize},
	{desc("node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", "device"), prometheus.CounterValue, secondsPerTick},
	{desc("node_disk_writes_completed_total", "The total number of writes completed successfully.", "device"), prometheus.CounterValue, 1},
	{desc("node_disk_writes_merged_total", "The number of writes merged.", "device"), prometheus.CounterValue, 1},
	{desc("node_disk_written_bytes_total", "The total number of bytes written successfully.", "device"), prometheus.CounterValue, unixSectorSize},
	{desc("node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes.", "device"), prometheus.CounterValue, secondsPerTick},
	{desc("node_disk_io_now", "The number of I/Os currently in progress.", "device"), prometheus.GaugeValue, 1},
	{desc("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", "device"), prometheus.CounterValue, secondsPerTick},
	{desc("node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", "device"), prometheus.CounterValue, secondsPerTick},
	{desc("node_disk_discards_completed_total", "The total number of discards completed successfully.", "device"), prometheus.CounterValue, 1},
	{desc("node_disk_discards_merged_total", "The total number of discards merged.", "device"), prometheus.CounterValue, 1},
	{desc("node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.", "device"), prometheus.CounterValue, 1},
	{desc("node_disk_discard_time_seconds_total", "This is the total number of seconds spent by all discards.", "device"), prometheus.CounterValue, secondsPerTick},
	{desc("node_disk_flush_requests_total", "The total number of flush requests completed successfully", "device"), prometheus.CounterValue, 1},
	{desc("node_disk_flush_requests_time_seconds_total", "This is the total number of seconds spent by all flush requests.", "device"), prometheus.CounterValue, secondsPerTick},
}

const (
	// /proc/diskstats counts sectors of 512 bytes whatever the device's block
	// size (Documentation/block/stat.rst).
	unixSectorSize = 512.0
	// Times are in milliseconds. node_exporter multiplies by 1/1000 rather than
	// dividing; we do the same so that values are bit-identical.
	secondsPerTick = 1.0 / 1000.0
)

// netdev (/proc/net/dev), in the file's column order.
var netdevDescs = func() [16]*prometheus.Desc {
	names := [16]string{
		"receive_bytes", "receive_packets", "receive_errs", "receive_drop",
		"receive_fifo", "receive_frame", "receive_compressed", "receive_multicast",
		"transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop",
		"transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
	}
	var d [16]*prometheus.Desc
	for i, n := range names {
		d[i] = desc("node_network_"+n+"_total", "Network device statistic "+n+".", "device")
	}
	return d
}()

// time (clock, sysfs clocksource); node_boot_time_seconds comes from stat
var (
	timeSecondsDesc          = desc("node_time_seconds", "System time in seconds since epoch (1970).")
	timeZoneOffsetDesc       = desc("node_time_zone_offset_seconds", "System time zone offset in seconds.", "time_zone")
	clocksourceAvailableDesc = desc("node_time_clocksource_available_info", "Available clocksources read from '/sys/devices/system/clocksource'.", "clocksource", "device")
	clocksourceCurrentDesc   = desc("node_time_clocksource_current_info", "Current clocksource read from '/sys/devices/system/clocksource'.", "clocksource", "device")
	bootTimeDesc             = desc("node_boot_time_seconds", "Node boot time, in unixtime.")
)
