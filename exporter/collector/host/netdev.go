package host

import (
	"context"
	"fmt"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs"
)

// netdev (/proc/net/dev) through procfs: its 16 counters per interface. The
// kernel already folds the detailed error counters into these columns (drop
// includes rx_missed_errors, frame the length/over/crc errors, carrier the
// aborted/window/heartbeat errors), which is how node_exporter's netlink
// path maps them too.
type netdevCollector struct {
	fs      hostFS
	exclude *regexp.Regexp
}

func newNetdevCollector(cfg NetdevConfig, fs hostFS) (*netdevCollector, error) {
	re, err := compileExclude(cfg.DeviceExclude)
	if err != nil {
		return nil, fmt.Errorf("netdev.device_exclude: %w", err)
	}
	return &netdevCollector{fs: fs, exclude: re}, nil
}

func (c *netdevCollector) Name() string   { return Netdev }
func (c *netdevCollector) Target() string { return "" }

func (c *netdevCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	if c.fs.procfsErr != nil {
		return c.fs.procfsErr
	}
	// /proc/net/dev shows golive's network namespace, as for node_exporter:
	// run in the host's (hostNetwork) to see the host's interfaces.
	stats, err := c.fs.procfs.NetDev()
	if err != nil {
		return err
	}
	for name, s := range stats {
		if excluded(c.exclude, name) {
			continue
		}
		for i, v := range netdevValues(&s) {
			ch <- prometheus.MustNewConstMetric(netdevDescs[i], prometheus.CounterValue, float64(v), name)
		}
	}
	return nil
}

// netdevValues returns the counters in netdevDescs's (the file's) order.
func netdevValues(s *procfs.NetDevLine) [len(netdevDescs)]uint64 {
	return [...]uint64{
		s.RxBytes, s.RxPackets, s.RxErrors, s.RxDropped, s.RxFIFO, s.RxFrame, s.RxCompressed, s.RxMulticast,
		s.TxBytes, s.TxPackets, s.TxErrors, s.TxDropped, s.TxFIFO, s.TxCollisions, s.TxCarrier, s.TxCompressed,
	}
}
