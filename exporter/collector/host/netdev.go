package host

import (
	"bytes"
	"context"
	"fmt"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
)

// netDevStat is one interface of /proc/net/dev: its 16 counters in column
// order. The kernel already folds the detailed error counters into these
// columns (drop includes rx_missed_errors, frame the length/over/crc errors,
// carrier the aborted/window/heartbeat errors), which is how node_exporter's
// netlink path maps them too.
type netDevStat struct {
	device string
	values [len(netdevDescs)]uint64
}

func parseNetDev(b []byte, exclude *regexp.Regexp, names *internCache) ([]netDevStat, error) {
	var out []netDevStat
	var fields [][]byte
	lineNo := 0
	err := eachLine(b, func(line []byte) error {
		lineNo++
		if lineNo <= 2 { // two header lines
			return nil
		}
		name, rest, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return fmt.Errorf("invalid line %q", line)
		}
		name = bytes.TrimSpace(name)
		if exclude != nil && exclude.Match(name) {
			return nil
		}
		fields = appendFields(fields, rest)
		if len(fields) != len(netdevDescs) {
			return fmt.Errorf("%s: %d columns, want %d", name, len(fields), len(netdevDescs))
		}
		s := netDevStat{device: names.get(name)}
		for i, f := range fields {
			v, err := parseUint(f)
			if err != nil {
				return fmt.Errorf("%s column %d %q: %w", name, i+1, f, err)
			}
			s.values[i] = v
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

type netdevCollector struct {
	fs      hostFS
	exclude *regexp.Regexp
	names   internCache
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
	var stats []netDevStat
	// /proc/net/dev shows golive's network namespace, as for node_exporter:
	// run in the host's (hostNetwork) to see the host's interfaces.
	err := c.fs.read(c.fs.procPath("net", "dev"), func(b []byte) (err error) {
		stats, err = parseNetDev(b, c.exclude, &c.names)
		return err
	})
	if err != nil {
		return err
	}
	for _, s := range stats {
		for i, v := range s.values {
			ch <- prometheus.MustNewConstMetric(netdevDescs[i], prometheus.CounterValue, float64(v), s.device)
		}
	}
	return nil
}
