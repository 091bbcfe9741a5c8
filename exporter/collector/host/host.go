// Package host collects the machine's own metrics (CPU, load, memory,
// filesystems, disks, network interfaces, time) under node_exporter's names,
// types, labels and value semantics, so existing dashboards and alerts work
// unchanged.
//
// Each source is its own collector.Collector, so a hung NFS mount blanks only
// the filesystem metrics, and each reports node_scrape_collector_success and
// node_scrape_collector_duration_seconds as node_exporter's do. New sources
// are read with github.com/prometheus/procfs, node_exporter's library (but
// not its sysfs package: see netclass.go).
// Parsers of our own, filling reused buffers, remain where procfs costs
// clearly more or lacks what node_exporter exports (BenchmarkParse* in
// bench_test.go, on this project's VM): the per-CPU lines of /proc/stat
// (procfs 3.2x the time, 10x the allocations), /proc/diskstats (3.1x),
// /proc/meminfo (1.6x, and procfs knows only a fixed list of fields),
// mountinfo (parsed once per scrape with statfs around it), /proc/vmstat
// and /proc/net/{netstat,snmp,snmp6} (no procfs parser for the generic
// field set), and /sys/class/net (netlink.go).
package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/golive-ops/golive/exporter/collector"
)

// New returns the collectors of the enabled sub-collectors, or none when
// cfg.Enabled is false: filesystem and textfile on their own (a statfs on a
// dead NFS server or a file on a hung mount must not hold up the rest), and
// all the others in one collector named "host", which runs them one after
// the other. Reading /proc and netlink takes microseconds and cannot hang;
// a goroutine per source cost 0.9 ms of CPU and 0.5 MiB of RSS per scrape
// in the runner for nothing (measured side by side on the exporter build).
// Each sub-collector reports node_scrape_collector_success and
// node_scrape_collector_duration_seconds under its own name either way.
func New(cfg Config, logger *slog.Logger) ([]collector.Collector, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	fs := newFS(cfg.Paths)
	// A container without /sys must still report CPU and memory: a missing
	// root fails only the collectors that read it, at every scrape.
	fs.procfs, fs.procfsErr = procfs.NewFS(cfg.Paths.Procfs)
	var out []collector.Collector
	for _, name := range AllCollectors {
		if !cfg.enabled(name) {
			continue
		}
		c, err := newSubCollector(name, cfg, fs, logger.With("collector", name))
		if err != nil {
			return nil, err
		}
		c = instrumented{c}
		if name == Filesystem || name == Textfile {
			out = append(out, c)
			continue
		}
		if len(out) == 0 || out[0].Name() != Host {
			out = append([]collector.Collector{&group{}}, out...)
		}
		out[0].(*group).members = append(out[0].(*group).members, c)
	}
	return out, nil
}

// Host is the name of the collector that runs the sub-collectors other than
// filesystem and textfile.
const Host = "host"

// group runs its members in turn. A member that fails does not stop the
// others; the group reports their errors together, and each member's own
// node_scrape_collector_success says which.
type group struct{ members []collector.Collector }

func (g *group) Name() string   { return Host }
func (g *group) Target() string { return "" }

func (g *group) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	var errs []error
	for _, c := range g.members {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, fmt.Errorf("%s: %w", c.Name(), err))...)
		}
		if err := c.Update(ctx, ch); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// newSubCollector is the one table from sub-collector name to constructor.
func newSubCollector(name string, cfg Config, fs hostFS, logger *slog.Logger) (collector.Collector, error) {
	switch name {
	case CPU:
		return newCPUCollector(fs, logger), nil
	case Loadavg:
		return newLoadavgCollector(fs), nil
	case Meminfo:
		return newMeminfoCollector(fs), nil
	case Filesystem:
		return newFilesystemCollector(cfg.Filesystem, fs, logger)
	case Diskstats:
		return newDiskstatsCollector(cfg.Diskstats, fs)
	case Netdev:
		return newNetdevCollector(cfg.Netdev, fs)
	case Time:
		return newTimeCollector(fs, logger), nil
	case Stat:
		return newStatCollector(fs), nil
	case VMStat:
		return newVMStatCollector(cfg.VMStat, fs)
	case NetStat:
		return newNetStatCollector(cfg.NetStat, fs)
	case Sockstat:
		return newSockstatCollector(fs, logger), nil
	case Timex:
		return newTimexCollector(logger), nil
	case Conntrack:
		return newConntrackCollector(fs, logger), nil
	case Pressure:
		return newPressureCollector(fs, logger), nil
	case Netclass:
		return newNetclassCollector(cfg.Netclass, fs, logger)
	case Filefd:
		return newFilefdCollector(fs), nil
	case Entropy:
		return newEntropyCollector(fs), nil
	case Uname:
		return newUnameCollector(), nil
	case OS:
		return newOSCollector(fs, logger), nil
	case Textfile:
		return newTextfileCollector(cfg.Textfile, logger), nil
	case ARP:
		return newARPCollector(fs), nil
	case Softnet:
		return newSoftnetCollector(fs), nil
	case Schedstat:
		return newSchedstatCollector(fs, logger), nil
	}
	return nil, fmt.Errorf("unknown host collector %q", name)
}

// hostFS locates /proc, /sys and / and reads small kernel files into pooled
// buffers, so that a scrape allocates only what ends up in metrics.
type hostFS struct {
	proc, sys, root string
	bufs            *sync.Pool
	procfs          procfs.FS
	procfsErr       error // from procfs.NewFS: the procfs root is unusable
}

func newFS(p Paths) hostFS {
	return hostFS{
		proc: p.Procfs, sys: p.Sysfs, root: p.Rootfs,
		bufs: &sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }},
	}
}

func (f hostFS) procPath(elem ...string) string {
	return filepath.Join(append([]string{f.proc}, elem...)...)
}

func (f hostFS) sysPath(elem ...string) string {
	return filepath.Join(append([]string{f.sys}, elem...)...)
}

// rootPath maps a mount point as the host sees it to where golive can reach it.
func (f hostFS) rootPath(p string) string {
	return filepath.Join(f.root, p)
}

// stripRoot turns a mount point seen from inside golive's mount namespace into
// the host's path, as node_exporter does with --path.rootfs.
func (f hostFS) stripRoot(p string) string {
	if f.root == "/" || f.root == "" {
		return p
	}
	p = strings.TrimPrefix(p, strings.TrimSuffix(f.root, "/"))
	if p == "" {
		return "/"
	}
	return p
}

// read reads a whole file and hands its content to parse. The slice is only
// valid during parse: it goes back to the pool afterwards. It uses the raw
// system calls: an os.File costs a poller registration attempt and a
// cleanup per open, a third of the CPU of reading a small /proc file here.
func (f hostFS) read(path string, parse func([]byte) error) error {
	bp := f.bufs.Get().(*[]byte)
	defer f.bufs.Put(bp)
	fd, err := openRead(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
	}
	*bp = b
	if err := parse(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// openRead opens path read-only, with os.Open's error (a *fs.PathError,
// matching fs.ErrNotExist and fs.ErrPermission).
func openRead(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}
