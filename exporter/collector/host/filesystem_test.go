package host

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeStatfs answers from a table keyed by the path golive stats; a path
// mapped to a channel blocks until that channel is closed.
type fakeStatfs struct {
	bufs  map[string]unix.Statfs_t
	errs  map[string]error
	hangs map[string]chan struct{}
	calls atomic.Int32
}

func (f *fakeStatfs) statfs(path string, buf *unix.Statfs_t) error {
	f.calls.Add(1)
	if ch, ok := f.hangs[path]; ok {
		<-ch
	}
	if err, ok := f.errs[path]; ok {
		return err
	}
	b, ok := f.bufs[path]
	if !ok {
		return syscall.ENOENT
	}
	*buf = b
	return nil
}

func newFakeFilesystem(t *testing.T, f *fakeStatfs, timeout time.Duration) *filesystemCollector {
	t.Helper()
	cfg := fixtureConfig()
	cfg.Filesystem.MountTimeout = timeout
	c, err := newFilesystemCollector(cfg.Filesystem, newFS(cfg.Paths), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c.statfs = f.statfs
	return c
}

func TestFilesystemFixture(t *testing.T) {
	f := &fakeStatfs{
		bufs: map[string]unix.Statfs_t{
			"/":            {Bsize: 4096, Blocks: 1000, Bfree: 600, Bavail: 500, Files: 64, Ffree: 60},
			"/srv/My Data": {Bsize: 512, Blocks: 10, Bfree: 5, Bavail: 5, Files: 3, Ffree: 1},
			"/boot":        {Bsize: 1024, Blocks: 100, Bfree: 100, Bavail: 90, Files: 10, Ffree: 10},
		},
		errs: map[string]error{"/mnt/nfs": syscall.EACCES},
	}
	// /proc, /dev, /sys/fs/cgroup/cpu (by mount point and type) and the
	// overlay under /var/lib/docker are excluded; / is mounted twice but
	// reported once; /mnt/ro has no statfs answer (ENOENT).
	compare(t, newFakeFilesystem(t, f, time.Second), `
# HELP node_filesystem_size_bytes Filesystem size in bytes.
# TYPE node_filesystem_size_bytes gauge
node_filesystem_size_bytes{device="/dev/vda",device_error="",fstype="ext4",mountpoint="/"} 4.096e+06
node_filesystem_size_bytes{device="/dev/vdb1",device_error="",fstype="xfs",mountpoint="/srv/My Data"} 5120
node_filesystem_size_bytes{device="/dev/vdb2",device_error="",fstype="ext2",mountpoint="/boot"} 102400
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/vda",device_error="",fstype="ext4",mountpoint="/"} 2.048e+06
node_filesystem_avail_bytes{device="/dev/vdb1",device_error="",fstype="xfs",mountpoint="/srv/My Data"} 2560
node_filesystem_avail_bytes{device="/dev/vdb2",device_error="",fstype="ext2",mountpoint="/boot"} 92160
# HELP node_filesystem_free_bytes Filesystem free space in bytes.
# TYPE node_filesystem_free_bytes gauge
node_filesystem_free_bytes{device="/dev/vda",device_error="",fstype="ext4",mountpoint="/"} 2.4576e+06
node_filesystem_free_bytes{device="/dev/vdb1",device_error="",fstype="xfs",mountpoint="/srv/My Data"} 2560
node_filesystem_free_bytes{device="/dev/vdb2",device_error="",fstype="ext2",mountpoint="/boot"} 102400
# HELP node_filesystem_files_free Filesystem total free file nodes.
# TYPE node_filesystem_files_free gauge
node_filesystem_files_free{device="/dev/vda",device_error="",fstype="ext4",mountpoint="/"} 60
node_filesystem_files_free{device="/dev/vdb1",device_error="",fstype="xfs",mountpoint="/srv/My Data"} 1
node_filesystem_files_free{device="/dev/vdb2",device_error="",fstype="ext2",mountpoint="/boot"} 10
# HELP node_filesystem_readonly Filesystem read-only status.
# TYPE node_filesystem_readonly gauge
node_filesystem_readonly{device="/dev/vda",device_error="",fstype="ext4",mountpoint="/"} 0
node_filesystem_readonly{device="/dev/vdb1",device_error="",fstype="xfs",mountpoint="/srv/My Data"} 0
node_filesystem_readonly{device="/dev/vdb2",device_error="",fstype="ext2",mountpoint="/boot"} 1
node_filesystem_readonly{device="server:/export",device_error="permission denied",fstype="nfs4",mountpoint="/mnt/nfs"} 0
node_filesystem_readonly{device="tmpfs",device_error="no such file or directory",fstype="tmpfs",mountpoint="/mnt/ro"} 1
# HELP node_filesystem_device_error Whether an error occurred while getting statistics for the given device.
# TYPE node_filesystem_device_error gauge
node_filesystem_device_error{device="/dev/vda",device_error="",fstype="ext4",mountpoint="/"} 0
node_filesystem_device_error{device="/dev/vdb1",device_error="",fstype="xfs",mountpoint="/srv/My Data"} 0
node_filesystem_device_error{device="/dev/vdb2",device_error="",fstype="ext2",mountpoint="/boot"} 0
node_filesystem_device_error{device="server:/export",device_error="permission denied",fstype="nfs4",mountpoint="/mnt/nfs"} 1
node_filesystem_device_error{device="tmpfs",device_error="no such file or directory",fstype="tmpfs",mountpoint="/mnt/ro"} 1
# HELP node_filesystem_mount_info Filesystem mount information.
# TYPE node_filesystem_mount_info gauge
node_filesystem_mount_info{device="/dev/vda",major="254",minor="0",mountpoint="/"} 1
node_filesystem_mount_info{device="/dev/vdb1",major="254",minor="16",mountpoint="/srv/My Data"} 1
node_filesystem_mount_info{device="/dev/vdb2",major="254",minor="17",mountpoint="/boot"} 1
`, "node_filesystem_size_bytes", "node_filesystem_avail_bytes", "node_filesystem_free_bytes",
		"node_filesystem_files_free", "node_filesystem_readonly", "node_filesystem_device_error",
		"node_filesystem_mount_info")
}

func TestFilesystemHungMountIsIsolated(t *testing.T) {
	release := make(chan struct{})
	f := &fakeStatfs{
		bufs:  map[string]unix.Statfs_t{"/": {Bsize: 1, Blocks: 7}, "/mnt/nfs": {Bsize: 1, Blocks: 9}},
		hangs: map[string]chan struct{}{"/mnt/nfs": release},
	}
	c := newFakeFilesystem(t, f, time.Hour) // only the scrape deadline bounds this one
	scrape := func() map[string]float64 {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		mfs := gatherCtx(t, ctx, c)
		return map[string]float64{
			"root_size":    value(t, mfs, "node_filesystem_size_bytes", "mountpoint", "/"),
			"nfs_error":    value(t, mfs, "node_filesystem_device_error", "mountpoint", "/mnt/nfs", "device_error", fsDeviceErrorTimeout),
			"nfs_has_size": float64(len(filter(mfs, "node_filesystem_size_bytes", "mountpoint", "/mnt/nfs"))),
		}
	}
	got := scrape()
	if got["root_size"] != 7 || got["nfs_error"] != 1 || got["nfs_has_size"] != 0 {
		t.Fatalf("first scrape: %v", got)
	}
	calls := f.calls.Load()
	// While the first statfs is stuck, later scrapes must not pile up more.
	scrape()
	// The fixture has 5 reported mount points; the hung one is skipped.
	if delta := f.calls.Load() - calls; delta != 4 {
		t.Errorf("second scrape made %d statfs calls, want 4 (the hung mount must not be retried)", delta)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		_, stuck := c.stuck["/mnt/nfs"]
		c.mu.Unlock()
		if !stuck || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mfs := gather(t, c)
	if v := value(t, mfs, "node_filesystem_size_bytes", "mountpoint", "/mnt/nfs"); v != 9 {
		t.Errorf("after recovery /mnt/nfs size = %v, want 9", v)
	}
}

func TestDeviceErrorLabelIsBounded(t *testing.T) {
	if got := deviceErrorLabel(syscall.EIO); got != "input/output error" {
		t.Errorf("EIO -> %q", got)
	}
	if got := deviceErrorLabel(errors.New("something free-form 10.0.0.1")); got != fsDeviceErrorOther {
		t.Errorf("free-form error -> %q, want %q", got, fsDeviceErrorOther)
	}
}
