package host

import (
	"github.com/prometheus/client_golang/prometheus"
)

// entropy (/proc/sys/kernel/random/{entropy_avail,poolsize}). procfs's
// KernelRandom reads all five files of the directory to give these two:
// on this project's VM each read costs about 15 µs of CPU, so the two files
// are read directly.
var (
	entropyAvailDesc = desc("node_entropy_available_bits", "Bits of available entropy.")
	entropyPoolDesc  = desc("node_entropy_pool_size_bits", "Bits of entropy pool.")
)

func newEntropyCollector(fs hostFS) simple {
	return simple{name: Entropy, update: func(ch chan<- prometheus.Metric) error {
		avail, err := fs.readUint(fs.procPath("sys", "kernel", "random", "entropy_avail"))
		if err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(entropyAvailDesc, prometheus.GaugeValue, float64(avail))
		pool, err := fs.readUint(fs.procPath("sys", "kernel", "random", "poolsize"))
		if err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(entropyPoolDesc, prometheus.GaugeValue, float64(pool))
		return nil
	}}
}
