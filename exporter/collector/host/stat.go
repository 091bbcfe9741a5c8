package host

import (
	"github.com/prometheus/client_golang/prometheus"
)

// stat (/proc/stat: the totals; cpu reads the per-CPU lines, time btime)
var (
	contextSwitchesDesc = desc("node_context_switches_total", "Total number of context switches.")
	intrDesc            = desc("node_intr_total", "Total number of interrupts serviced.")
	forksDesc           = desc("node_forks_total", "Total number of forks.")
	procsRunningDesc    = desc("node_procs_running", "Number of processes in runnable state.")
	procsBlockedDesc    = desc("node_procs_blocked", "Number of processes blocked waiting for I/O to complete.")
)

func newStatCollector(fs hostFS) simple {
	return simple{name: Stat, update: func(ch chan<- prometheus.Metric) error {
		if fs.procfsErr != nil {
			return fs.procfsErr
		}
		s, err := fs.procfs.Stat()
		if err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(contextSwitchesDesc, prometheus.CounterValue, float64(s.ContextSwitches))
		ch <- prometheus.MustNewConstMetric(intrDesc, prometheus.CounterValue, float64(s.IRQTotal))
		ch <- prometheus.MustNewConstMetric(forksDesc, prometheus.CounterValue, float64(s.ProcessCreated))
		ch <- prometheus.MustNewConstMetric(procsRunningDesc, prometheus.GaugeValue, float64(s.ProcessesRunning))
		ch <- prometheus.MustNewConstMetric(procsBlockedDesc, prometheus.GaugeValue, float64(s.ProcessesBlocked))
		return nil
	}}
}
