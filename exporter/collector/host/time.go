package host

import (
	"context"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type clocksource struct {
	device    string
	available []string
	current   string
}

type timeCollector struct {
	fs     hostFS
	logger *slog.Logger
	now    func() time.Time

	mu   sync.Mutex
	dirs []string // clocksource devices, once found
}

func newTimeCollector(fs hostFS, logger *slog.Logger) *timeCollector {
	return &timeCollector{fs: fs, logger: logger, now: time.Now}
}

func (c *timeCollector) Name() string   { return Time }
func (c *timeCollector) Target() string { return "" }

func (c *timeCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	now := c.now()
	ch <- prometheus.MustNewConstMetric(timeSecondsDesc, prometheus.GaugeValue, float64(now.UnixNano())/1e9)
	zone, offset := now.Zone()
	ch <- prometheus.MustNewConstMetric(timeZoneOffsetDesc, prometheus.GaugeValue, float64(offset), zone)

	sources, err := c.clocksources()
	if err != nil {
		// Containers and some VMs hide sysfs; the clock itself is still right.
		c.logger.Debug("no clocksource information", "err", err)
		return nil
	}
	for _, s := range sources {
		for _, a := range s.available {
			ch <- prometheus.MustNewConstMetric(clocksourceAvailableDesc, prometheus.GaugeValue, 1, a, s.device)
		}
		ch <- prometheus.MustNewConstMetric(clocksourceCurrentDesc, prometheus.GaugeValue, 1, s.current, s.device)
	}
	return nil
}

// clocksources reads /sys/devices/system/clocksource/clocksource<N>/. The
// devices are the kernel's, fixed at boot: they are listed once.
func (c *timeCollector) clocksources() ([]clocksource, error) {
	c.mu.Lock()
	dirs := c.dirs
	c.mu.Unlock()
	if dirs == nil {
		var err error
		dirs, err = filepath.Glob(c.fs.sysPath("devices", "system", "clocksource", "clocksource[0-9]*"))
		if err != nil {
			return nil, err
		}
		if len(dirs) == 0 {
			return nil, fs.ErrNotExist
		}
		c.mu.Lock()
		c.dirs = dirs
		c.mu.Unlock()
	}
	var out []clocksource
	for _, dir := range dirs {
		s := clocksource{device: strings.TrimPrefix(filepath.Base(dir), "clocksource")}
		err := c.fs.read(filepath.Join(dir, "available_clocksource"), func(b []byte) error {
			s.available = strings.Fields(string(b))
			return nil
		})
		if err == nil {
			err = c.fs.read(filepath.Join(dir, "current_clocksource"), func(b []byte) error {
				s.current = strings.TrimSpace(string(b))
				return nil
			})
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
