// Package reporttest serves synthetic metric history from a real Prometheus
// (Debian's /usr/bin/prometheus, backfilled with promtool) for the daily
// report's tests and benchmarks.
package reporttest

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
)

// History is a set of series sampled every Interval.
type History struct {
	Interval time.Duration
	series   []series
}

type series struct {
	name, labels string
	from, to     time.Time
	value        func(t time.Time) (float64, bool)
}

// Add records a series from from (inclusive) to to (exclusive); value
// returns false where the series has no sample (a gap: the target was
// down, the alert was not firing).
func (h *History) Add(name, labels string, from, to time.Time, value func(t time.Time) (float64, bool)) {
	h.series = append(h.series, series{name, labels, from, to, value})
}

// Const is a value function returning v everywhere.
func Const(v float64) func(time.Time) (float64, bool) {
	return func(time.Time) (float64, bool) { return v, true }
}

// Write writes the history as OpenMetrics (each metric's series together,
// as promtool requires).
func (h *History) Write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ordered := make([]series, len(h.series))
	copy(ordered, h.series)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].name < ordered[j].name })
	buf := make([]byte, 0, 128)
	for _, s := range ordered {
		for t := s.from; t.Before(s.to); t = t.Add(h.Interval) {
			v, ok := s.value(t)
			if !ok {
				continue
			}
			buf = buf[:0]
			buf = append(buf, s.name...)
			buf = append(buf, '{')
			buf = append(buf, s.labels...)
			buf = append(buf, "} "...)
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, t.Unix(), 10)
			buf = append(buf, '\n')
			if _, err := w.Write(buf); err != nil {
				f.Close()
				return err
			}
		}
	}
	if _, err := w.WriteString("# EOF\n"); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// StartPrometheus backfills h with promtool and serves it with a real
// Prometheus on a free loopback port; it returns the base URL. Without the
// binaries the test skips, or fails under CI=true.
func StartPrometheus(t testing.TB, h *History) string {
	t.Helper()
	om := filepath.Join(t.TempDir(), "history.om")
	if err := h.Write(om); err != nil {
		t.Fatal(err)
	}
	return testenv.Prometheus(t, testenv.PrometheusOptions{Backfill: om,
		Args: []string{"--storage.tsdb.retention.time=60d", "--query.lookback-delta=5m"}})
}
