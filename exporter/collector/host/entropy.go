package host

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// entropy (/proc/sys/kernel/random) through procfs.
var (
	entropyAvailDesc = desc("node_entropy_available_bits", "Bits of available entropy.")
	entropyPoolDesc  = desc("node_entropy_pool_size_bits", "Bits of entropy pool.")
)

func newEntropyCollector(fs hostFS) simple {
	return simple{name: Entropy, update: func(ch chan<- prometheus.Metric) error {
		if fs.procfsErr != nil {
			return fs.procfsErr
		}
		r, err := fs.procfs.KernelRandom()
		if err != nil {
			return err
		}
		if r.EntropyAvaliable == nil {
			return errors.New("couldn't get entropy_avail")
		}
		ch <- prometheus.MustNewConstMetric(entropyAvailDesc, prometheus.GaugeValue, float64(*r.EntropyAvaliable))
		if r.PoolSize == nil {
			return errors.New("couldn't get entropy poolsize")
		}
		ch <- prometheus.MustNewConstMetric(entropyPoolDesc, prometheus.GaugeValue, float64(*r.PoolSize))
		return nil
	}}
}
