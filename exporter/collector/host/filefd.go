package host

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// filefd (/proc/sys/fs/file-nr: allocated, unused (always 0 since 2.6), maximum).
// procfs has no parser for it; node_exporter parses it itself too.
var (
	filefdAllocatedDesc = desc("node_filefd_allocated", "File descriptor statistics: allocated.")
	filefdMaximumDesc   = desc("node_filefd_maximum", "File descriptor statistics: maximum.")
)

func parseFileNr(b []byte) (allocated, maximum uint64, err error) {
	fields := appendFields(nil, trimNewline(b))
	if len(fields) != 3 {
		return 0, 0, fmt.Errorf("%d fields, want 3", len(fields))
	}
	if allocated, err = parseUint(fields[0]); err != nil {
		return 0, 0, fmt.Errorf("allocated %q: %w", fields[0], err)
	}
	if maximum, err = parseUint(fields[2]); err != nil {
		return 0, 0, fmt.Errorf("maximum %q: %w", fields[2], err)
	}
	return allocated, maximum, nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func newFilefdCollector(fs hostFS) simple {
	return simple{name: Filefd, update: func(ch chan<- prometheus.Metric) error {
		var allocated, maximum uint64
		err := fs.read(fs.procPath("sys", "fs", "file-nr"), func(b []byte) (err error) {
			allocated, maximum, err = parseFileNr(b)
			return err
		})
		if err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(filefdAllocatedDesc, prometheus.GaugeValue, float64(allocated))
		ch <- prometheus.MustNewConstMetric(filefdMaximumDesc, prometheus.GaugeValue, float64(maximum))
		return nil
	}}
}
