package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// mount is one line of /proc/<pid>/mountinfo, reduced to what is exported.
type mount struct {
	device, mountPoint, fsType string
	major, minor               string
	readOnly                   bool
}

// parseMountinfo parses proc(5) mountinfo lines:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// Optional fields before "-" vary in number.
func parseMountinfo(b []byte) ([]mount, error) {
	var out []mount
	var fields [][]byte
	err := eachLine(b, func(line []byte) error {
		fields = appendFields(fields, line)
		sep := -1
		for i := 6; i < len(fields); i++ {
			if len(fields[i]) == 1 && fields[i][0] == '-' {
				sep = i
				break
			}
		}
		if sep < 0 || sep+2 >= len(fields) {
			return fmt.Errorf("invalid mountinfo line %q", line)
		}
		major, minor, ok := strings.Cut(string(fields[2]), ":")
		if !ok {
			return fmt.Errorf("invalid major:minor %q", fields[2])
		}
		mountOpts := string(fields[5])
		superOpts := ""
		if sep+3 < len(fields) {
			superOpts = string(fields[sep+3])
		}
		out = append(out, mount{
			device:     string(fields[sep+2]),
			mountPoint: unescapeMountPoint(string(fields[4])),
			fsType:     string(fields[sep+1]),
			major:      major,
			minor:      minor,
			readOnly:   hasOption(mountOpts, "ro") || hasOption(superOpts, "ro"),
		})
		return nil
	})
	return out, err
}

// unescapeMountPoint undoes the octal escapes of space and tab, the two
// node_exporter translates (fstab(5)).
func unescapeMountPoint(p string) string {
	if !strings.Contains(p, `\0`) {
		return p
	}
	return strings.NewReplacer(`\040`, " ", `\011`, "\t").Replace(p)
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// statfsFunc is unix.Statfs; tests replace it to simulate hung or failing mounts.
type statfsFunc func(path string, buf *unix.Statfs_t) error

type filesystemCollector struct {
	fs            hostFS
	logger        *slog.Logger
	mountExclude  *regexp.Regexp
	fsTypeExclude *regexp.Regexp
	timeout       time.Duration
	statfs        statfsFunc

	mu    sync.Mutex
	stuck map[string]struct{} // mount points with a statfs still outstanding
}

func newFilesystemCollector(cfg FilesystemConfig, fs hostFS, logger *slog.Logger) (*filesystemCollector, error) {
	mp, err := compileExclude(cfg.MountPointsExclude)
	if err != nil {
		return nil, fmt.Errorf("filesystem.mount_points_exclude: %w", err)
	}
	ft, err := compileExclude(cfg.FSTypesExclude)
	if err != nil {
		return nil, fmt.Errorf("filesystem.fs_types_exclude: %w", err)
	}
	return &filesystemCollector{
		fs: fs, logger: logger, mountExclude: mp, fsTypeExclude: ft,
		timeout: cfg.MountTimeout, statfs: unix.Statfs, stuck: map[string]struct{}{},
	}, nil
}

func (c *filesystemCollector) Name() string   { return Filesystem }
func (c *filesystemCollector) Target() string { return "" }

// fsStat is the outcome of statfs on one mount.
type fsStat struct {
	mount
	deviceError string // "" when statfs succeeded
	buf         unix.Statfs_t
}

// statResult is the outcome of statfs on one path.
type statResult struct {
	mountPoint  string
	deviceError string
	buf         unix.Statfs_t
}

func (c *filesystemCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	mounts, err := c.mounts()
	if err != nil {
		return err
	}
	results := c.statAll(ctx, mounts)
	for _, m := range mounts {
		r := results[m.mountPoint]
		emitFilesystem(ch, fsStat{mount: m, deviceError: r.deviceError, buf: r.buf})
	}
	return nil
}

// mounts reads the mount table of PID 1 (the host's, when golive runs in a
// container with the host's /proc) and falls back to our own when hidepid
// hides PID 1. It returns the mounts to report, once each.
func (c *filesystemCollector) mounts() ([]mount, error) {
	var all []mount
	parse := func(b []byte) (err error) { all, err = parseMountinfo(b); return err }
	err := c.fs.read(c.fs.procPath("1", "mountinfo"), parse)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		err = c.fs.read(c.fs.procPath("self", "mountinfo"), parse)
	}
	if err != nil {
		return nil, err
	}
	type key struct{ device, mountPoint, fsType string }
	seen := make(map[key]bool, len(all))
	out := all[:0]
	for _, m := range all {
		m.mountPoint = c.fs.stripRoot(m.mountPoint)
		k := key{m.device, m.mountPoint, m.fsType}
		if seen[k] || excluded(c.mountExclude, m.mountPoint) || excluded(c.fsTypeExclude, m.fsType) {
			continue
		}
		seen[k] = true
		out = append(out, m)
	}
	return out, nil
}

// statAll runs statfs once per mount point, concurrently, and waits until all
// answered, the mount timeout passed, or ctx ended. A mount point whose statfs
// has not returned is reported as timed out and not asked again until that
// call returns, so a dead NFS server costs one blocked goroutine, not one per
// scrape.
func (c *filesystemCollector) statAll(ctx context.Context, mounts []mount) map[string]statResult {
	out := make(map[string]statResult, len(mounts))
	results := make(chan statResult, len(mounts))
	pending := 0
	c.mu.Lock()
	for _, m := range mounts {
		if _, done := out[m.mountPoint]; done {
			continue // an over-mounted path: statfs sees the top mount for both
		}
		out[m.mountPoint] = statResult{mountPoint: m.mountPoint, deviceError: fsDeviceErrorTimeout}
		if _, stuck := c.stuck[m.mountPoint]; stuck {
			continue
		}
		c.stuck[m.mountPoint] = struct{}{}
		pending++
		go c.statOne(m.mountPoint, results)
	}
	c.mu.Unlock()

	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	for ; pending > 0; pending-- {
		select {
		case r := <-results:
			out[r.mountPoint] = r
			continue
		case <-timer.C:
		case <-ctx.Done():
		}
		c.logger.Warn("statfs did not return in time; skipping those mounts until it does", "pending", pending)
		break
	}
	return out
}

func (c *filesystemCollector) statOne(mountPoint string, results chan<- statResult) {
	r := statResult{mountPoint: mountPoint}
	if err := c.statfs(c.fs.rootPath(mountPoint), &r.buf); err != nil {
		r.deviceError = deviceErrorLabel(err)
		c.logger.Debug("statfs failed", "mountpoint", mountPoint, "err", err)
	}
	c.mu.Lock()
	delete(c.stuck, mountPoint)
	c.mu.Unlock()
	results <- r // buffered for every mount point: never blocks, even when abandoned
}

// deviceErrorLabel keeps the label bounded: an errno's fixed text (as
// node_exporter shows it) or "other", never free-form error text.
func deviceErrorLabel(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return fsDeviceErrorOther
}

func emitFilesystem(ch chan<- prometheus.Metric, s fsStat) {
	labels := []string{s.device, s.mountPoint, s.fsType, s.deviceError}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	failed, ro := 0.0, 0.0
	if s.deviceError != "" {
		failed = 1
	}
	if s.readOnly {
		ro = 1
	}
	gauge(fsDeviceErrorDesc, failed)
	gauge(fsReadonlyDesc, ro)
	if s.deviceError != "" {
		return
	}
	bsize := float64(s.buf.Bsize)
	gauge(fsSizeDesc, float64(s.buf.Blocks)*bsize)
	gauge(fsFreeDesc, float64(s.buf.Bfree)*bsize)
	gauge(fsAvailDesc, float64(s.buf.Bavail)*bsize)
	gauge(fsFilesDesc, float64(s.buf.Files))
	gauge(fsFilesFreeDesc, float64(s.buf.Ffree))
	ch <- prometheus.MustNewConstMetric(fsMountInfoDesc, prometheus.GaugeValue, 1, s.device, s.major, s.minor, s.mountPoint)
}
