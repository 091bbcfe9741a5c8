package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// parseBootTime returns the btime line of /proc/stat (seconds since epoch).
func parseBootTime(b []byte) (uint64, error) {
	var btime uint64
	found := false
	err := eachLine(b, func(line []byte) error {
		v, ok := bytes.CutPrefix(line, []byte("btime "))
		if !ok {
			return nil
		}
		n, err := parseUint(bytes.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("btime %q: %w", v, err)
		}
		btime, found = n, true
		return nil
	})
	if err == nil && !found {
		err = errors.New("no btime line")
	}
	return btime, err
}

type clocksource struct {
	device    string
	available []string
	current   string
}

type timeCollector struct {
	fs     hostFS
	logger *slog.Logger
	now    func() time.Time
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

	var btime uint64
	err := c.fs.read(c.fs.procPath("stat"), func(b []byte) (err error) {
		btime, err = parseBootTime(b)
		return err
	})
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(bootTimeDesc, prometheus.GaugeValue, float64(btime))

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

// clocksources reads /sys/devices/system/clocksource/clocksource<N>/.
func (c *timeCollector) clocksources() ([]clocksource, error) {
	dirs, err := filepath.Glob(c.fs.sysPath("devices", "system", "clocksource", "clocksource[0-9]*"))
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fs.ErrNotExist
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
