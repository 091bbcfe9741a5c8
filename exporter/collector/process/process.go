// Package process is client_golang's process collector (the process_*
// metrics every Prometheus exporter has) with the same names, help, types and
// values, for a fraction of its cost per scrape.
//
// client_golang's collector reads /proc/stat on every scrape to turn the
// start tick into a timestamp, though neither the boot time nor the start
// time ever changes, parses the whole of /proc/self/net/netstat (hundreds of
// fields) for two of them, and reads /proc/self/limits where getrlimit(2)
// gives the same two limits without the kernel formatting a file. On a
// full golive scrape it was about a tenth of the exporter's CPU.
package process

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs"
)

var (
	cpuTotal  = prometheus.NewDesc("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", nil, nil)
	openFDs   = prometheus.NewDesc("process_open_fds", "Number of open file descriptors.", nil, nil)
	maxFDs    = prometheus.NewDesc("process_max_fds", "Maximum number of open file descriptors.", nil, nil)
	vsize     = prometheus.NewDesc("process_virtual_memory_bytes", "Virtual memory size in bytes.", nil, nil)
	maxVsize  = prometheus.NewDesc("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", nil, nil)
	rss       = prometheus.NewDesc("process_resident_memory_bytes", "Resident memory size in bytes.", nil, nil)
	startTime = prometheus.NewDesc("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", nil, nil)
	inBytes   = prometheus.NewDesc("process_network_receive_bytes_total", "Number of bytes received by the process over the network.", nil, nil)
	outBytes  = prometheus.NewDesc("process_network_transmit_bytes_total", "Number of bytes sent by the process over the network.", nil, nil)
)

// Collector collects the process_* metrics of the process it runs in.
type Collector struct {
	proc    procfs.Proc
	netstat string

	once     sync.Once
	started  float64 // seconds since the epoch; set by once
	startErr error

	mu  sync.Mutex
	buf []byte // /proc/self/net/netstat, kept across scrapes
}

// New returns a collector of this process, reading procfs under
// procfs.DefaultMountPoint.
func New() (*Collector, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, err
	}
	return newCollector(fs, os.Getpid(), procfs.DefaultMountPoint)
}

func newCollector(fs procfs.FS, pid int, mount string) (*Collector, error) {
	p, err := fs.Proc(pid)
	if err != nil {
		return nil, err
	}
	return &Collector{proc: p, netstat: fmt.Sprintf("%s/%d/net/netstat", mount, pid)}, nil
}

// Describe sends the nine descriptors.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cpuTotal, openFDs, maxFDs, vsize, maxVsize, rss, startTime, inBytes, outBytes} {
		ch <- d
	}
}

// Collect sends what client_golang's collector sends, in its order; a part
// that cannot be read is an invalid metric, as there with ReportErrors.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if stat, err := c.proc.Stat(); err == nil {
		ch <- prometheus.MustNewConstMetric(cpuTotal, prometheus.CounterValue, stat.CPUTime())
		ch <- prometheus.MustNewConstMetric(vsize, prometheus.GaugeValue, float64(stat.VirtualMemory()))
		ch <- prometheus.MustNewConstMetric(rss, prometheus.GaugeValue, float64(stat.ResidentMemory()))
		c.once.Do(func() { c.started, c.startErr = stat.StartTime() })
		if c.startErr == nil {
			ch <- prometheus.MustNewConstMetric(startTime, prometheus.GaugeValue, c.started)
		} else {
			ch <- prometheus.NewInvalidMetric(startTime, c.startErr)
		}
	} else {
		ch <- prometheus.NewInvalidMetric(cpuTotal, err)
	}

	if n, err := c.proc.FileDescriptorsLen(); err == nil {
		ch <- prometheus.MustNewConstMetric(openFDs, prometheus.GaugeValue, float64(n))
	} else {
		ch <- prometheus.NewInvalidMetric(openFDs, err)
	}

	// The soft limits, which is what /proc/self/limits shows (RLIM_INFINITY
	// there is "unlimited", which procfs reads as the same 2^64-1).
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		ch <- prometheus.MustNewConstMetric(maxFDs, prometheus.GaugeValue, float64(lim.Cur))
	} else {
		ch <- prometheus.NewInvalidMetric(maxFDs, err)
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err == nil {
		ch <- prometheus.MustNewConstMetric(maxVsize, prometheus.GaugeValue, float64(lim.Cur))
	} else {
		ch <- prometheus.NewInvalidMetric(maxVsize, err)
	}

	in, out, err := c.octets()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(inBytes, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(inBytes, prometheus.CounterValue, in)
	ch <- prometheus.MustNewConstMetric(outBytes, prometheus.CounterValue, out)
}

// octets reads IpExt's InOctets and OutOctets from the process's
// net/netstat; a kernel without them gives 0, as in client_golang.
func (c *Collector) octets() (in, out float64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, err := os.Open(c.netstat)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	c.buf = c.buf[:0]
	for {
		if len(c.buf) == cap(c.buf) {
			c.buf = append(c.buf, 0)[:len(c.buf)]
		}
		n, err := f.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return 0, 0, err
		}
	}
	return ipExtOctets(c.buf)
}

// ipExtOctets finds the "IpExt:" pair of lines (names, then values) and
// returns InOctets and OutOctets from it.
func ipExtOctets(b []byte) (in, out float64, err error) {
	prefix := []byte("IpExt:")
	var names []byte
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		if names == nil {
			names = line[len(prefix):]
			continue
		}
		keys, vals := bytes.Fields(names), bytes.Fields(line[len(prefix):])
		if len(keys) != len(vals) {
			return 0, 0, fmt.Errorf("netstat: IpExt has %d names and %d values", len(keys), len(vals))
		}
		for i, k := range keys {
			var dst *float64
			switch string(k) {
			case "InOctets":
				dst = &in
			case "OutOctets":
				dst = &out
			default:
				continue
			}
			v, err := strconv.ParseFloat(string(vals[i]), 64)
			if err != nil {
				return 0, 0, fmt.Errorf("netstat: IpExt %s: %w", k, err)
			}
			*dst = v
		}
		return in, out, nil
	}
	return 0, 0, nil
}
