// Package backup reports, per backup location, how recent and how big the
// newest backup is, whether its SHA-256 checks out, when a restore was last
// tested and how recent the off-site copy is.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/exporter/collector"
)

type backupCollector struct {
	cfg    Config
	logger *slog.Logger
	hasher *hasher
	// scan lists a directory (a field so tests can make it hang).
	scan func(dir, pattern string, skip func(string) bool) (file, int, error)
	// busy is held while Update reads the filesystem. A call on a hung
	// mount (NFS) cannot be cancelled: the runner abandons it at the
	// deadline, and busy keeps later scrapes from stacking another stuck
	// goroutine on top of it until it returns.
	busy sync.Mutex
}

// errStillReading means the previous scrape's filesystem calls have not
// returned yet: the mount is not answering.
var errStillReading = errors.New("the previous scan is still waiting for the filesystem (hung mount?)")

// New returns the collector of one backup location. It reads nothing yet.
func New(cfg Config, logger *slog.Logger) (collector.Collector, error) {
	return newCollector(cfg, logger)
}

func newCollector(cfg Config, logger *slog.Logger) (*backupCollector, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("backup", cfg.Name)
	return &backupCollector{cfg: cfg, logger: logger, hasher: newHasher(logger), scan: scan}, nil
}

func (c *backupCollector) Name() string   { return "backup" }
func (c *backupCollector) Target() string { return c.cfg.Name }

// Close stops a checksum still being computed (collector.Closer).
func (c *backupCollector) Close() error {
	c.hasher.close()
	return nil
}

// file is a backup file found in a directory.
type file struct {
	path    string
	size    int64
	modTime time.Time
}

// Update reports every metric it can and returns the joined errors of the
// parts it could not read: a missing backup directory reads as no backups
// (files 0, timestamp 0), so age alerts fire, and fails the collector, so
// golive_exporter_collector_success says why.
func (c *backupCollector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	var errs []error
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, c.cfg.Name)
	}
	if !c.busy.TryLock() {
		// As for a missing directory: no backups visible, so age alerts fire.
		gauge(filesDesc, 0)
		gauge(newestTimeDesc, 0)
		gauge(newestSizeDesc, 0)
		return errStillReading
	}
	defer c.busy.Unlock()

	newest, count, err := c.scan(c.cfg.Path, c.cfg.Pattern, c.isSidecarOrManifest)
	if err != nil {
		errs = append(errs, fmt.Errorf("backup directory: %w", err))
	}
	gauge(filesDesc, float64(count))
	gauge(newestTimeDesc, seconds(newest.modTime))
	gauge(newestSizeDesc, float64(newest.size))

	if c.cfg.Checksum != nil {
		if ok, known := c.checksumOK(ctx, newest); known {
			gauge(checksumOKDesc, ok)
		}
	}
	if c.cfg.RestoreMarker != "" {
		t, err := markerTime(c.cfg.RestoreMarker)
		if err != nil {
			errs = append(errs, fmt.Errorf("restore marker: %w", err))
		}
		gauge(restoreTimeDesc, seconds(t))
	}
	if c.cfg.OffsitePath != "" {
		off, _, err := c.scan(c.cfg.OffsitePath, c.cfg.OffsitePattern, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("off-site directory: %w", err))
		}
		gauge(offsiteTimeDesc, seconds(off.modTime))
	}
	return errors.Join(errs...)
}

// checksumOK verifies the newest backup. known is false while the SHA-256 of
// a new file is still being computed past the scrape's deadline: the sample
// is left out rather than reported as a failure.
func (c *backupCollector) checksumOK(ctx context.Context, newest file) (ok float64, known bool) {
	if newest.path == "" {
		return 0, true
	}
	want, err := c.expectedSum(newest.path)
	if err != nil {
		c.logger.Warn("no expected checksum for the newest backup", "file", newest.path, "err", err)
		return 0, true
	}
	got, err := c.hasher.sum(ctx, newest)
	if errors.Is(err, errPending) {
		return 0, false
	}
	if err != nil {
		c.logger.Warn("cannot hash the newest backup", "file", newest.path, "err", err)
		return 0, true
	}
	if got != want {
		c.logger.Warn("checksum mismatch", "file", newest.path, "want", want, "got", got)
		return 0, true
	}
	return 1, true
}

func (c *backupCollector) expectedSum(path string) (string, error) {
	if c.cfg.Checksum.Sidecar {
		return lookupSum(path+sidecarSuffix, filepath.Base(path), true)
	}
	return lookupSum(c.cfg.manifestPath(), filepath.Base(path), false)
}

const sidecarSuffix = ".sha256"

// isSidecarOrManifest keeps checksum files out of the backups when the
// pattern is broad enough to match them.
func (c *backupCollector) isSidecarOrManifest(path string) bool {
	cs := c.cfg.Checksum
	if cs == nil {
		return false
	}
	if cs.Sidecar {
		return strings.HasSuffix(path, sidecarSuffix)
	}
	return filepath.Clean(path) == filepath.Clean(c.cfg.manifestPath())
}

// scan finds the regular files of dir whose base name matches pattern and
// returns the newest (by modification time, then name) and their number.
func scan(dir, pattern string, skip func(string) bool) (newest file, count int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return file{}, 0, err
	}
	for _, e := range entries {
		if ok, _ := filepath.Match(pattern, e.Name()); !ok || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if skip != nil && skip(path) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by rotation meanwhile
		}
		if err != nil {
			return file{}, 0, err
		}
		count++
		f := file{path: path, size: info.Size(), modTime: info.ModTime()}
		if f.modTime.After(newest.modTime) || (f.modTime.Equal(newest.modTime) && f.path > newest.path) {
			newest = f
		}
	}
	return newest, count, nil
}

// markerTime is the marker's modification time; a marker that does not exist
// means no restore was ever tested, which is a finding, not an error.
func markerTime(path string) (time.Time, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return info.ModTime(), nil
}

func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
