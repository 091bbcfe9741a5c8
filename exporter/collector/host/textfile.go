package host

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// textfile (*.prom files in a directory), node_exporter's textfile
// collector: the cron jobs that write them keep working. A file that does
// not parse, or carries client-side timestamps, is skipped whole and sets
// node_textfile_scrape_error to 1; the other files and collectors are
// unaffected. The collector itself never fails.
var (
	textfileMtimeDesc = desc("node_textfile_mtime_seconds", "Unixtime mtime of textfiles successfully read.", "file")
	textfileErrorDesc = desc("node_textfile_scrape_error", "1 if there was an error opening or reading a file, 0 otherwise")
)

// maxTextfileBytes bounds what one file may make golive hold in memory: far
// more than any cron job writes, far less than the host's memory.
const maxTextfileBytes = 32 << 20

func newTextfileCollector(cfg TextfileConfig, logger *slog.Logger) simple {
	return simple{name: Textfile, update: func(ch chan<- prometheus.Metric) error {
		failed := collectTextfiles(cfg.Directory, ch, logger)
		v := 0.0
		if failed {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(textfileErrorDesc, prometheus.GaugeValue, v)
		return nil
	}}
}

// collectTextfiles exports every *.prom file of the directories dir names
// (a path or a glob) and reports whether any could not be read.
func collectTextfiles(dir string, ch chan<- prometheus.Metric, logger *slog.Logger) (failed bool) {
	if dir == "" {
		return false
	}
	dirs, err := filepath.Glob(dir)
	if err != nil || len(dirs) == 0 {
		dirs = []string{dir} // not a glob: let ReadDir report what is wrong
	}
	type read struct {
		path  string
		mtime float64
		mfs   map[string]*dto.MetricFamily
	}
	var files []read
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			failed = true
			logger.Error("failed to read textfile collector directory", "path", d, "err", err)
			continue
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".prom") {
				continue
			}
			path := filepath.Join(d, e.Name())
			mfs, mtime, err := readTextfile(path)
			if err != nil {
				failed = true
				logger.Error("failed to collect textfile data", "file", e.Name(), "err", err)
				continue
			}
			files = append(files, read{path, mtime, mfs})
		}
	}
	// A family in several files must agree on type and help, or the
	// exposition would be invalid: the later file is dropped.
	seen := map[string]*dto.MetricFamily{}
	for _, f := range files {
		if name, ok := inconsistentFamily(seen, f.mfs); !ok {
			failed = true
			logger.Error("metric family defined with different type or help in another file, skipping file", "file", f.path, "metric", name)
			continue
		}
		for _, mf := range f.mfs {
			seen[mf.GetName()] = mf
			emitFamily(ch, mf)
		}
		ch <- prometheus.MustNewConstMetric(textfileMtimeDesc, prometheus.GaugeValue, f.mtime, f.path)
	}
	return failed
}

func inconsistentFamily(seen, mfs map[string]*dto.MetricFamily) (string, bool) {
	for name, mf := range mfs {
		if prev, ok := seen[name]; ok && (prev.GetType() != mf.GetType() || prev.GetHelp() != mf.GetHelp()) {
			return name, false
		}
	}
	return "", true
}

func readTextfile(path string) (map[string]*dto.MetricFamily, float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if st.Size() > maxTextfileBytes {
		return nil, 0, fmt.Errorf("%s: %d bytes, more than the %d allowed", path, st.Size(), maxTextfileBytes)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(f)
	if err != nil {
		return nil, 0, fmt.Errorf("failed to parse textfile data from %q: %w", path, err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.TimestampMs != nil {
				return nil, 0, fmt.Errorf("textfile %q contains unsupported client-side timestamps, skipping entire file", path)
			}
		}
		if mf.Help == nil {
			help := "Metric read from " + path
			mf.Help = &help
		}
	}
	// Whole seconds, as node_exporter reports them.
	return mfs, float64(st.ModTime().Unix()), nil
}

// emitFamily re-exposes one parsed family. Series lacking a label some
// other series of the family has get it empty, so one Desc fits them all.
func emitFamily(ch chan<- prometheus.Metric, mf *dto.MetricFamily) {
	var names []string
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if !slices.Contains(names, l.GetName()) {
				names = append(names, l.GetName())
			}
		}
	}
	sort.Strings(names)
	d := prometheus.NewDesc(mf.GetName(), mf.GetHelp(), names, nil)
	values := make([]string, len(names))
	for _, m := range mf.GetMetric() {
		clear(values)
		for _, l := range m.GetLabel() {
			values[slices.Index(names, l.GetName())] = l.GetValue()
		}
		metric, err := textfileMetric(d, mf.GetType(), m, values)
		if err != nil {
			// A sample the registry would reject (say, a histogram
			// without buckets) is left out; the rest of the family stays.
			ch <- prometheus.NewInvalidMetric(d, err)
			continue
		}
		ch <- metric
	}
}

func textfileMetric(d *prometheus.Desc, t dto.MetricType, m *dto.Metric, values []string) (prometheus.Metric, error) {
	switch t {
	case dto.MetricType_COUNTER:
		return prometheus.NewConstMetric(d, prometheus.CounterValue, m.GetCounter().GetValue(), values...)
	case dto.MetricType_GAUGE:
		return prometheus.NewConstMetric(d, prometheus.GaugeValue, m.GetGauge().GetValue(), values...)
	case dto.MetricType_UNTYPED:
		return prometheus.NewConstMetric(d, prometheus.UntypedValue, m.GetUntyped().GetValue(), values...)
	case dto.MetricType_SUMMARY:
		q := map[float64]float64{}
		for _, x := range m.GetSummary().GetQuantile() {
			q[x.GetQuantile()] = x.GetValue()
		}
		return prometheus.NewConstSummary(d, m.GetSummary().GetSampleCount(), m.GetSummary().GetSampleSum(), q, values...)
	case dto.MetricType_HISTOGRAM:
		b := map[float64]uint64{}
		for _, x := range m.GetHistogram().GetBucket() {
			b[x.GetUpperBound()] = x.GetCumulativeCount()
		}
		return prometheus.NewConstHistogram(d, m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum(), b, values...)
	}
	return nil, errors.New("unsupported metric type " + t.String())
}
