package host

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// loadavg (/proc/loadavg) through procfs, which is as cheap here as a
// parser of our own (BenchmarkLoadavg).
type loadavgCollector struct{ fs hostFS }

func newLoadavgCollector(fs hostFS) *loadavgCollector { return &loadavgCollector{fs: fs} }

func (c *loadavgCollector) Name() string   { return Loadavg }
func (c *loadavgCollector) Target() string { return "" }

func (c *loadavgCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	if c.fs.procfsErr != nil {
		return c.fs.procfsErr
	}
	l, err := c.fs.procfs.LoadAvg()
	if err != nil {
		return err
	}
	for i, v := range [3]float64{l.Load1, l.Load5, l.Load15} {
		ch <- prometheus.MustNewConstMetric(loadDescs[i], prometheus.GaugeValue, v)
	}
	return nil
}
