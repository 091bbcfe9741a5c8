package host

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// parseLoadavg reads the three averages at the start of /proc/loadavg.
func parseLoadavg(b []byte) ([3]float64, error) {
	var loads [3]float64
	fields := appendFields(nil, b)
	if len(fields) < 3 {
		return loads, fmt.Errorf("want at least 3 fields, got %d", len(fields))
	}
	for i := range loads {
		v, err := parseFloat(fields[i])
		if err != nil {
			return loads, fmt.Errorf("field %d: %w", i+1, err)
		}
		loads[i] = v
	}
	return loads, nil
}

type loadavgCollector struct{ fs hostFS }

func newLoadavgCollector(fs hostFS) *loadavgCollector { return &loadavgCollector{fs: fs} }

func (c *loadavgCollector) Name() string   { return Loadavg }
func (c *loadavgCollector) Target() string { return "" }

func (c *loadavgCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	var loads [3]float64
	err := c.fs.read(c.fs.procPath("loadavg"), func(b []byte) (err error) {
		loads, err = parseLoadavg(b)
		return err
	})
	if err != nil {
		return err
	}
	for i, v := range loads {
		ch <- prometheus.MustNewConstMetric(loadDescs[i], prometheus.GaugeValue, v)
	}
	return nil
}
