package host

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// netclass (/sys/class/net/<iface>/), as node_exporter's current release
// exports it (with its adminstate label on node_network_info, which 1.5
// lacked). procfs's sysfs package, which node_exporter reads it with, is not
// used: importing it compiles ten regular expressions at start-up and maps
// 140 KiB more of the binary, for a directory listing (the attributes come
// from netlink, netlink.go).
type netClassIface struct {
	Name                                                 string
	Address, Broadcast, Duplex, IfAlias, OperState       string
	AddrAssignType, Carrier, CarrierChanges              *int64
	CarrierUpCount, CarrierDownCount, DevID, Dormant     *int64
	Flags, IfIndex, IfLink, LinkMode, MTU                *int64
	NameAssignType, NetDevGroup, Speed, TxQueueLen, Type *int64
}

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
	buf   [4096]byte // a sysfs attribute is at most a page
	// netlink: read the attributes netlink has from it (netlink.go). Only
	// with the default sysfs: netlink answers for golive's own network
	// namespace, which a sysfs mounted elsewhere may not show.
	netlink bool
	// fixed holds the attributes an interface keeps while its ifindex and
	// address stay the same, by name.
	fixed map[string]fixedAttrs
}

type fixedAttrs struct {
	ifindex                              int64
	address                              string
	addrAssignType, devID, nameAssignTyp *int64
}

func newNetclassCollector(cfg NetclassConfig, fs hostFS, logger *slog.Logger) (simple, error) {
	re, err := compileExclude(cfg.IgnoredDevices)
	if err != nil {
		return simple{}, fmt.Errorf("netclass.ignored_devices: %w", err)
	}
	c := &netclassCollector{
		fs: fs, logger: logger, exclude: re, descs: map[string]*prometheus.Desc{},
		netlink: fs.sys == "/sys", fixed: map[string]fixedAttrs{},
	}
	return simple{name: Netclass, update: c.update}, nil
}

func (c *netclassCollector) update(ch chan<- prometheus.Metric) error {
	if c.netlink {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.updateNetlink(ch)
	}
	devices, err := c.devices()
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		c.logger.Debug("could not read netclass directory", "err", err)
		return errNoData
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
		iface, err := c.readIface(dev)
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

func (c *netclassCollector) updateNetlink(ch chan<- prometheus.Metric) error {
	links, err := dumpLinks()
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(links))
	for n := range links {
		l := &links[n]
		if excluded(c.exclude, l.iface.Name) {
			continue
		}
		seen[l.iface.Name] = true
		if err := c.sysfsOnly(l); err != nil {
			return err
		}
		c.emit(ch, &l.iface)
	}
	for name := range c.fixed {
		if !seen[name] {
			delete(c.fixed, name) // gone: veths must not grow the cache
		}
	}
	return nil
}

// sysfsOnly reads what netlink does not carry.
func (c *netclassCollector) sysfsOnly(l *netlinkLink) error {
	i := &l.iface
	dir := c.fs.sysPath("class", "net", i.Name)
	readInt := func(name string) (*int64, error) {
		v, ok, err := c.attr(dir, name)
		if err != nil || !ok {
			return nil, err
		}
		x, err := strconv.ParseInt(string(v), 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%s/%s %q: %w", dir, name, v, err)
		}
		return &x, nil
	}
	var err error
	f, ok := c.fixed[i.Name]
	if !ok || f.ifindex != *i.IfIndex || f.address != i.Address {
		// A MAC set by hand changes addr_assign_type, and the address.
		f = fixedAttrs{ifindex: *i.IfIndex, address: i.Address}
		if f.addrAssignType, err = readInt("addr_assign_type"); err != nil {
			return err
		}
		if f.devID, err = readInt("dev_id"); err != nil {
			return err
		}
		if f.nameAssignTyp, err = readInt("name_assign_type"); err != nil {
			return err
		}
		c.fixed[i.Name] = f
	}
	i.AddrAssignType, i.DevID, i.NameAssignType = f.addrAssignType, f.devID, f.nameAssignTyp
	if !l.running {
		return nil // sysfs answers EINVAL for speed and duplex of an interface that is down
	}
	if i.Speed, err = readInt("speed"); err != nil {
		return err
	}
	v, ok, err := c.attr(dir, "duplex")
	if err != nil {
		return err
	}
	if ok {
		i.Duplex = string(v)
	}
	return nil
}

// devices lists /sys/class/net, whose entries are symlinks to the devices
// (a regular file there, as bonding_masters, is no interface).
func (c *netclassCollector) devices() ([]string, error) {
	entries, err := os.ReadDir(c.fs.sysPath("class", "net"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// netclassStrings and netclassInts are the attributes node_exporter
// exports. procfs's NetClassByIface reads every file of the directory
// (35 on a virtio NIC, uevent and queue settings included); on this
// project's VM each sysfs read costs about 15 µs of CPU, so reading only
// these halves the collector's cost (BenchmarkNetclass).
var (
	netclassStrings = []string{"address", "broadcast", "duplex", "ifalias", "operstate"}
	netclassInts    = []string{
		"addr_assign_type", "carrier", "carrier_changes", "carrier_up_count", "carrier_down_count", "dev_id", "dormant",
		"flags", "ifindex", "iflink", "link_mode", "mtu", "name_assign_type", "netdev_group", "speed", "tx_queue_len", "type",
	}
)

// readIface fills a netClassIface as procfs would: an attribute the
// driver does not support, or cannot report now (carrier or speed of an
// interface that is down: EINVAL), stays unset.
func (c *netclassCollector) readIface(dev string) (*netClassIface, error) {
	i := &netClassIface{Name: dev}
	dir := c.fs.sysPath("class", "net", dev)
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	strs := [...]*string{&i.Address, &i.Broadcast, &i.Duplex, &i.IfAlias, &i.OperState}
	for n, name := range netclassStrings {
		v, ok, err := c.attr(dir, name)
		if err != nil {
			return nil, err
		}
		if ok {
			*strs[n] = string(v)
		}
	}
	ints := [...]**int64{
		&i.AddrAssignType, &i.Carrier, &i.CarrierChanges, &i.CarrierUpCount, &i.CarrierDownCount, &i.DevID, &i.Dormant,
		&i.Flags, &i.IfIndex, &i.IfLink, &i.LinkMode, &i.MTU, &i.NameAssignType, &i.NetDevGroup, &i.Speed, &i.TxQueueLen, &i.Type,
	}
	for n, name := range netclassInts {
		v, ok, err := c.attr(dir, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		x, err := strconv.ParseInt(string(v), 0, 64) // dev_id and flags are hex
		if err != nil {
			return nil, fmt.Errorf("%s/%s %q: %w", dir, name, v, err)
		}
		*ints[n] = &x
	}
	return i, nil
}

// attr reads one sysfs attribute with a single read, as procfs does, and
// reports the errors procfs ignores as absence.
func (c *netclassCollector) attr(dir, name string) ([]byte, bool, error) {
	path := filepath.Join(dir, name)
	fd, err := openRead(path)
	if err == nil {
		var n int
		n, err = unix.Read(fd, c.buf[:])
		unix.Close(fd)
		if err == nil {
			return bytes.TrimSpace(c.buf[:n]), true, nil
		}
	}
	var errno syscall.Errno
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrInvalid) ||
		(errors.As(err, &errno) && (errno == syscall.EINVAL || errno == syscall.EOPNOTSUPP)) {
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("reading %s: %w", path, err)
}

func (c *netclassCollector) emit(ch chan<- prometheus.Metric, i *netClassIface) {
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
