package host

import (
	"errors"
	"io/fs"
	"log/slog"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
)

// pressure (/proc/pressure/*, PSI) through procfs. As in node_exporter's
// current release: cpu exports its "some" line, irq (kernel 6.1+) only
// "full", io and memory both.
var psiResources = []struct {
	resource   string
	some, full *prometheus.Desc
}{
	{"cpu", desc("node_pressure_cpu_waiting_seconds_total", "Total time in seconds that processes have waited for CPU time"), nil},
	{
		"io",
		desc("node_pressure_io_waiting_seconds_total", "Total time in seconds that processes have waited due to IO congestion"),
		desc("node_pressure_io_stalled_seconds_total", "Total time in seconds no process could make progress due to IO congestion"),
	},
	{
		"memory",
		desc("node_pressure_memory_waiting_seconds_total", "Total time in seconds that processes have waited for memory"),
		desc("node_pressure_memory_stalled_seconds_total", "Total time in seconds no process could make progress due to memory congestion"),
	},
	{"irq", nil, desc("node_pressure_irq_stalled_seconds_total", "Total time in seconds no process could make progress due to IRQ congestion")},
}

func newPressureCollector(hfs hostFS, logger *slog.Logger) simple {
	return simple{name: Pressure, update: func(ch chan<- prometheus.Metric) error {
		if hfs.procfsErr != nil {
			return hfs.procfsErr
		}
		found := 0
		for _, r := range psiResources {
			s, err := hfs.procfs.PSIStatsForResource(r.resource)
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EOPNOTSUPP) {
				// A kernel before 4.20 (6.1 for irq), without CONFIG_PSI, or
				// booted with psi=0.
				logger.Debug("pressure information is unavailable", "resource", r.resource)
				continue
			}
			if err != nil {
				return err
			}
			found++
			// PSI totals are in microseconds; divided as node_exporter divides them,
			// so that values are bit-identical.
			if r.some != nil && s.Some != nil {
				ch <- prometheus.MustNewConstMetric(r.some, prometheus.CounterValue, float64(s.Some.Total)/1000.0/1000.0)
			}
			if r.full != nil && s.Full != nil {
				ch <- prometheus.MustNewConstMetric(r.full, prometheus.CounterValue, float64(s.Full.Total)/1000.0/1000.0)
			}
		}
		if found == 0 {
			return errNoData
		}
		return nil
	}}
}
