package host

import (
	"context"
	"fmt"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
)

// diskStat is one /proc/diskstats line: the device and its counters in the
// kernel's column order (11 on old kernels, 15 since 4.18, 17 since 5.5).
// maxDiskColumns is how many /proc/diskstats columns are exported (len(diskDescs)).
const maxDiskColumns = 17

type diskStat struct {
	device string
	values [maxDiskColumns]uint64
	n      int // how many of values the kernel gave
}

// parseDiskstats parses /proc/diskstats, skipping excluded devices before
// allocating anything for them.
func parseDiskstats(b []byte, exclude *regexp.Regexp, names *internCache) ([]diskStat, error) {
	var out []diskStat
	var fields [][]byte
	err := eachLine(b, func(line []byte) error {
		fields = appendFields(fields, line)
		if len(fields) < 3+11 {
			return fmt.Errorf("invalid line %q: %d fields, want at least 14", line, len(fields))
		}
		if exclude != nil && exclude.Match(fields[2]) {
			return nil
		}
		s := diskStat{device: names.get(fields[2]), n: min(len(fields)-3, maxDiskColumns)}
		for i := range s.n {
			v, err := parseUint(fields[3+i])
			if err != nil {
				return fmt.Errorf("%s column %d %q: %w", fields[2], i+4, fields[3+i], err)
			}
			s.values[i] = v
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

type diskstatsCollector struct {
	fs      hostFS
	exclude *regexp.Regexp
	names   internCache
}

func newDiskstatsCollector(cfg DiskstatsConfig, fs hostFS) (*diskstatsCollector, error) {
	re, err := compileExclude(cfg.DeviceExclude)
	if err != nil {
		return nil, fmt.Errorf("diskstats.device_exclude: %w", err)
	}
	return &diskstatsCollector{fs: fs, exclude: re}, nil
}

func (c *diskstatsCollector) Name() string   { return Diskstats }
func (c *diskstatsCollector) Target() string { return "" }

func (c *diskstatsCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	var stats []diskStat
	err := c.fs.read(c.fs.procPath("diskstats"), func(b []byte) (err error) {
		stats, err = parseDiskstats(b, c.exclude, &c.names)
		return err
	})
	if err != nil {
		return err
	}
	for _, s := range stats {
		for i, v := range s.values[:s.n] {
			d := diskDescs[i]
			ch <- prometheus.MustNewConstMetric(d.desc, d.vtype, float64(v)*d.scale, s.device)
		}
	}
	return nil
}
