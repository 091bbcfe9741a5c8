package host

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs"
)

// sockstat (/proc/net/sockstat, /proc/net/sockstat6) through procfs, named
// as node_exporter names them: node_sockstat_<PROTOCOL>_<field>, plus
// <PROTOCOL>_mem_bytes for the fields counted in pages.
var (
	sockstatUsedDesc = desc("node_sockstat_sockets_used", "Number of IPv4 sockets in use.")
	pageSize         = float64(os.Getpagesize())
)

type sockstatCollector struct {
	fs     hostFS
	logger *slog.Logger

	mu    sync.Mutex
	descs map[string]*prometheus.Desc
}

func newSockstatCollector(fs hostFS, logger *slog.Logger) simple {
	c := &sockstatCollector{fs: fs, logger: logger, descs: map[string]*prometheus.Desc{}}
	return simple{name: Sockstat, update: c.update}
}

func (c *sockstatCollector) update(ch chan<- prometheus.Metric) error {
	if c.fs.procfsErr != nil {
		return c.fs.procfsErr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A kernel without IPv4 or IPv6 lacks the file: skip it, as node_exporter does.
	for _, v6 := range []bool{false, true} {
		read := c.fs.procfs.NetSockstat
		if v6 {
			read = c.fs.procfs.NetSockstat6
		}
		s, err := read()
		if errors.Is(err, fs.ErrNotExist) {
			c.logger.Debug("sockstat statistics not found, skipping", "ipv6", v6)
			continue
		}
		if err != nil {
			return err
		}
		if !v6 && s.Used != nil {
			ch <- prometheus.MustNewConstMetric(sockstatUsedDesc, prometheus.GaugeValue, float64(*s.Used))
		}
		for _, p := range s.Protocols {
			c.protocol(ch, p)
		}
	}
	return nil
}

func (c *sockstatCollector) protocol(ch chan<- prometheus.Metric, p procfs.NetSockstatProtocol) {
	emit := func(field string, v *int, scale float64) {
		if v == nil {
			return
		}
		name := p.Protocol + "_" + field
		d, ok := c.descs[name]
		if !ok {
			d = desc("node_sockstat_"+name, "Number of "+p.Protocol+" sockets in state "+field+".")
			c.descs[name] = d
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(*v)*scale)
	}
	emit("inuse", &p.InUse, 1)
	emit("orphan", p.Orphan, 1)
	emit("tw", p.TW, 1)
	emit("alloc", p.Alloc, 1)
	emit("mem", p.Mem, 1)
	emit("memory", p.Memory, 1)
	emit("mem_bytes", p.Mem, pageSize)
}
