package host

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// userHZ is the unit of /proc/stat: USER_HZ is 100 on every Linux
// architecture, whatever the kernel's internal HZ.
const userHZ = 100

// jumpBackSeconds: an idle counter that falls by more than this is a CPU that
// went offline and came back, not jitter (node_exporter's rule).
const jumpBackSeconds = 3.0

// cpuModes are the /proc/stat columns, in order.
var cpuModes = [...]string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"}

const (
	modeGuest     = 8
	modeGuestNice = 9
)

// cpuTimes holds one CPU's seconds per mode, indexed like cpuModes.
type cpuTimes [len(cpuModes)]float64

type cpuStat struct {
	id    int
	times cpuTimes
}

// parseProcStatCPUs returns the per-CPU lines of /proc/stat (not the "cpu"
// total), converted to seconds.
func parseProcStatCPUs(b []byte, dst []cpuStat) ([]cpuStat, error) {
	dst = dst[:0]
	var fields [][]byte
	err := eachLine(b, func(line []byte) error {
		if !bytes.HasPrefix(line, []byte("cpu")) || len(line) < 4 || line[3] < '0' || line[3] > '9' {
			return nil
		}
		fields = appendFields(fields, line)
		id, err := parseUint(fields[0][3:])
		if err != nil {
			return fmt.Errorf("cpu id in %q: %w", fields[0], err)
		}
		// Kernels before 2.6.33 lack guest_nice, before 2.6.24 guest, ...
		if len(fields) < 5 {
			return fmt.Errorf("cpu%d: %d columns, want at least 4", id, len(fields)-1)
		}
		s := cpuStat{id: int(id)}
		for i, f := range fields[1:min(len(fields), len(cpuModes)+1)] {
			v, err := parseUint(f)
			if err != nil {
				return fmt.Errorf("cpu%d %s %q: %w", id, cpuModes[i], f, err)
			}
			s.times[i] = float64(v) / userHZ
		}
		dst = append(dst, s)
		return nil
	})
	return dst, err
}

type cpuCollector struct {
	fs     hostFS
	logger *slog.Logger

	mu      sync.Mutex
	last    map[int]cpuTimes // what was last exported, to keep counters monotonic
	scratch []cpuStat
	labels  map[int]string
}

func newCPUCollector(fs hostFS, logger *slog.Logger) *cpuCollector {
	return &cpuCollector{fs: fs, logger: logger, last: map[int]cpuTimes{}, labels: map[int]string{}}
}

func (c *cpuCollector) Name() string   { return CPU }
func (c *cpuCollector) Target() string { return "" }

func (c *cpuCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.fs.read(c.fs.procPath("stat"), func(b []byte) (err error) {
		c.scratch, err = parseProcStatCPUs(b, c.scratch)
		return err
	})
	if err != nil {
		return err
	}
	for _, s := range c.scratch {
		c.update(s)
	}
	// Like node_exporter, a CPU that went offline keeps its last values rather
	// than vanishing, so rate() over it reads 0, not a gap.
	for id, t := range c.last {
		cpu := c.label(id)
		for mode := range modeGuest {
			ch <- prometheus.MustNewConstMetric(cpuSecondsDesc, prometheus.CounterValue, t[mode], cpu, cpuModes[mode])
		}
		// Guest time is also counted in user and nice, hence its own metric.
		ch <- prometheus.MustNewConstMetric(cpuGuestSecondsDesc, prometheus.CounterValue, t[modeGuest], cpu, "user")
		ch <- prometheus.MustNewConstMetric(cpuGuestSecondsDesc, prometheus.CounterValue, t[modeGuestNice], cpu, "nice")
	}
	return nil
}

// update applies node_exporter's rule: /proc/stat counters can step back
// slightly (iowait notably), which a counter must not do, so a mode that
// decreased keeps its previous value; an idle drop beyond jumpBackSeconds
// means a hot-plugged CPU, whose history is reset.
func (c *cpuCollector) update(s cpuStat) {
	prev, seen := c.last[s.id]
	if seen && prev[3]-s.times[3] >= jumpBackSeconds {
		c.logger.Debug("CPU idle counter jumped backwards, possible hotplug event, resetting CPU stats", "cpu", s.id)
		prev = cpuTimes{}
	}
	for i, v := range s.times {
		if v >= prev[i] {
			prev[i] = v
		}
	}
	c.last[s.id] = prev
}

func (c *cpuCollector) label(id int) string {
	l, ok := c.labels[id]
	if !ok {
		l = strconv.Itoa(id)
		c.labels[id] = l
	}
	return l
}
