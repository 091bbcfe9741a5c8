package host

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs/sysfs"
)

// netclass (/sys/class/net/<iface>/) through procfs's sysfs package, as
// node_exporter's current release exports it (with its adminstate label on
// node_network_info, which 1.5 lacked).
var (
	netUpDesc   = desc("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.", "device")
	netInfoDesc = desc("node_network_info", "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
		"device", "address", "broadcast", "duplex", "operstate", "adminstate", "ifalias")
)

type netclassCollector struct {
	fs      hostFS
	logger  *slog.Logger
	exclude *regexp.Regexp

	mu    sync.Mutex
	descs map[string]*prometheus.Desc
}

func newNetclassCollector(cfg NetclassConfig, fs hostFS, logger *slog.Logger) (simple, error) {
	re, err := compileExclude(cfg.IgnoredDevices)
	if err != nil {
		return simple{}, fmt.Errorf("netclass.ignored_devices: %w", err)
	}
	c := &netclassCollector{fs: fs, logger: logger, exclude: re, descs: map[string]*prometheus.Desc{}}
	return simple{name: Netclass, update: c.update}, nil
}

func (c *netclassCollector) update(ch chan<- prometheus.Metric) error {
	if c.fs.sysfsErr != nil {
		return c.fs.sysfsErr
	}
	devices, err := c.fs.sysfs.NetClassDevices()
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		c.logger.Debug("could not read netclass directory", "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, dev := range devices {
		if excluded(c.exclude, dev) {
			continue
		}
		iface, err := c.fs.sysfs.NetClassByIface(dev)
		if errors.Is(err, fs.ErrNotExist) {
			continue // the interface went away between the listing and now
		}
		if err != nil {
			return err
		}
		c.emit(ch, iface)
	}
	return nil
}

func (c *netclassCollector) emit(ch chan<- prometheus.Metric, i *sysfs.NetClassIface) {
	up := 0.0
	if i.OperState == "up" {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(netUpDesc, prometheus.GaugeValue, up, i.Name)
	ch <- prometheus.MustNewConstMetric(netInfoDesc, prometheus.GaugeValue, 1,
		i.Name, i.Address, i.Broadcast, i.Duplex, i.OperState, adminState(i.Flags), i.IfAlias)
	prop := func(name string, v *int64, t prometheus.ValueType) {
		if v == nil {
			return // the driver does not provide it (or reading it failed, as for speed when down)
		}
		ch <- prometheus.MustNewConstMetric(c.desc(name), t, float64(*v), i.Name)
	}
	prop("address_assign_type", i.AddrAssignType, prometheus.GaugeValue)
	prop("carrier", i.Carrier, prometheus.GaugeValue)
	prop("carrier_changes_total", i.CarrierChanges, prometheus.CounterValue)
	prop("carrier_up_changes_total", i.CarrierUpCount, prometheus.CounterValue)
	prop("carrier_down_changes_total", i.CarrierDownCount, prometheus.CounterValue)
	prop("device_id", i.DevID, prometheus.GaugeValue)
	prop("dormant", i.Dormant, prometheus.GaugeValue)
	prop("flags", i.Flags, prometheus.GaugeValue)
	prop("iface_id", i.IfIndex, prometheus.GaugeValue)
	prop("iface_link", i.IfLink, prometheus.GaugeValue)
	prop("iface_link_mode", i.LinkMode, prometheus.GaugeValue)
	prop("mtu_bytes", i.MTU, prometheus.GaugeValue)
	prop("net_dev_group", i.NetDevGroup, prometheus.GaugeValue)
	prop("name_assign_type", i.NameAssignType, prometheus.GaugeValue)
	if i.Speed != nil {
		// Mbit/s to bytes/s. node_exporter keeps the -1 of an unknown
		// speed (-125000) unless told otherwise; so do we.
		speed := *i.Speed * 1000 * 1000 / 8
		prop("speed_bytes", &speed, prometheus.GaugeValue)
	}
	prop("transmit_queue_length", i.TxQueueLen, prometheus.GaugeValue)
	prop("protocol_type", i.Type, prometheus.GaugeValue)
}

func (c *netclassCollector) desc(name string) *prometheus.Desc {
	d, ok := c.descs[name]
	if !ok {
		d = desc("node_network_"+name, "Network device property: "+name, "device")
		c.descs[name] = d
	}
	return d
}

// adminState is IFF_UP of the interface's flags, as node_exporter reads it.
func adminState(flags *int64) string {
	switch {
	case flags == nil:
		return "unknown"
	case *flags&int64(net.FlagUp) != 0:
		return "up"
	}
	return "down"
}
