package host

import (
	"errors"
	"io/fs"
	"log/slog"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// arp (/proc/net/arp) and softnet (/proc/net/softnet_stat) through procfs,
// as node_exporter exports them (the Node Exporter Full dashboard graphs
// both). arp reads the file, like node_exporter with
// --no-collector.arp.netlink: the same counts in golive's namespace.
var (
	arpEntriesDesc         = desc("node_arp_entries", "ARP entries by device", "device")
	softnetProcessedDesc   = desc("node_softnet_processed_total", "Number of processed packets", "cpu")
	softnetDroppedDesc     = desc("node_softnet_dropped_total", "Number of dropped packets", "cpu")
	softnetSqueezedDesc    = desc("node_softnet_times_squeezed_total", "Number of times processing packets ran out of quota", "cpu")
	softnetCollisionDesc   = desc("node_softnet_cpu_collision_total", "Number of collision occur while obtaining device lock while transmitting", "cpu")
	softnetReceivedRPSDesc = desc("node_softnet_received_rps_total", "Number of times cpu woken up received_rps", "cpu")
	softnetFlowLimitDesc   = desc("node_softnet_flow_limit_count_total", "Number of times flow limit has been reached", "cpu")
	softnetBacklogDesc     = desc("node_softnet_backlog_len", "Softnet backlog status", "cpu")
)

func newARPCollector(hfs hostFS) simple {
	return simple{name: ARP, update: func(ch chan<- prometheus.Metric) error {
		if hfs.procfsErr != nil {
			return hfs.procfsErr
		}
		entries, err := hfs.procfs.GatherARPEntries()
		if err != nil {
			return err
		}
		counts := map[string]int{}
		for _, e := range entries {
			counts[e.Device]++
		}
		for dev, n := range counts {
			ch <- prometheus.MustNewConstMetric(arpEntriesDesc, prometheus.GaugeValue, float64(n), dev)
		}
		return nil
	}}
}

func newSoftnetCollector(hfs hostFS) simple {
	return simple{name: Softnet, update: func(ch chan<- prometheus.Metric) error {
		if hfs.procfsErr != nil {
			return hfs.procfsErr
		}
		stats, err := hfs.procfs.NetSoftnetStat()
		if err != nil {
			return err
		}
		for _, s := range stats {
			cpu := strconv.FormatUint(uint64(s.Index), 10)
			counter := func(d *prometheus.Desc, v uint32) {
				ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), cpu)
			}
			counter(softnetProcessedDesc, s.Processed)
			counter(softnetDroppedDesc, s.Dropped)
			counter(softnetSqueezedDesc, s.TimeSqueezed)
			counter(softnetCollisionDesc, s.CPUCollision)
			counter(softnetReceivedRPSDesc, s.ReceivedRps)
			counter(softnetFlowLimitDesc, s.FlowLimitCount)
			ch <- prometheus.MustNewConstMetric(softnetBacklogDesc, prometheus.GaugeValue, float64(s.SoftnetBacklogLen), cpu)
		}
		return nil
	}}
}

// schedstat (/proc/schedstat) through procfs: the dashboard's scheduler
// panels. Kernels without CONFIG_SCHEDSTATS lack the file: no data.
var (
	schedstatRunningDesc    = desc("node_schedstat_running_seconds_total", "Number of seconds CPU spent running a process.", "cpu")
	schedstatWaitingDesc    = desc("node_schedstat_waiting_seconds_total", "Number of seconds spent by processing waiting for this CPU.", "cpu")
	schedstatTimeslicesDesc = desc("node_schedstat_timeslices_total", "Number of timeslices executed by CPU.", "cpu")
)

func newSchedstatCollector(hfs hostFS, logger *slog.Logger) simple {
	return simple{name: Schedstat, update: func(ch chan<- prometheus.Metric) error {
		if hfs.procfsErr != nil {
			return hfs.procfsErr
		}
		s, err := hfs.procfs.Schedstat()
		if errors.Is(err, fs.ErrNotExist) {
			logger.Debug("schedstat file does not exist")
			return errNoData
		}
		if err != nil {
			return err
		}
		for _, c := range s.CPUs {
			ch <- prometheus.MustNewConstMetric(schedstatRunningDesc, prometheus.CounterValue, float64(c.RunningNanoseconds)/1e9, c.CPUNum)
			ch <- prometheus.MustNewConstMetric(schedstatWaitingDesc, prometheus.CounterValue, float64(c.WaitingNanoseconds)/1e9, c.CPUNum)
			ch <- prometheus.MustNewConstMetric(schedstatTimeslicesDesc, prometheus.CounterValue, float64(c.RunTimeslices), c.CPUNum)
		}
		return nil
	}}
}
