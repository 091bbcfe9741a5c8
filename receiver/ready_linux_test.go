package receiver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/golive-ops/golive/internal/testenv"
)

const readyChild = "GOLIVE_TEST_READY_CHILD"

// /-/ready must say whether a webhook could be stored: not ready on a full
// filesystem (SQLite reuses its WAL, so a small write still succeeds
// there) or a read-only one. The test needs its own tmpfs, so it re-runs
// itself in a private mount namespace (as root, or in a user namespace).
func TestReadyReflectsWritability(t *testing.T) {
	if os.Getenv(readyChild) == "" {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestReadyReflectsWritability$", "-test.v")
		cmd.Env = append(os.Environ(), readyChild+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
		if os.Geteuid() != 0 {
			cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
			cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
			cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			testenv.Unavailable(t, "cannot create a mount namespace for a private tmpfs (%v); run as root or allow user namespaces", err)
		}
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		t.Logf("child:\n%s", out)
		return
	}

	// The child: a 16 MiB tmpfs of our own.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		t.Fatalf("private mounts: %v", err)
	}
	dir, err := os.MkdirTemp("", "golive-ready-")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	defer func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH); _ = os.Remove(dir) }()

	cfg := demoConfig(t)
	cfg.Storage.SQLite.Path = filepath.Join(dir, "r.db")
	cfg.Webhook.MaxBodyBytes = 1 << 20 // the free space ready asks for
	app, err := New(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	ready := func(a *App) int {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/-/ready", nil))
		return rec.Code
	}
	if code := ready(app); code != 200 {
		t.Fatalf("ready on a healthy tmpfs: %d", code)
	}

	fill := filepath.Join(dir, "fill")
	f, err := os.Create(fill)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the tmpfs: %v", err)
			}
			break
		}
	}
	f.Close()
	if code := ready(app); code != http.StatusServiceUnavailable {
		t.Fatalf("ready on a full filesystem: %d, want 503", code)
	}
	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	if code := ready(app); code != 200 {
		t.Fatalf("ready once space is back: %d", code)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}

	// Read-only: the receiver either refuses to start or is not ready.
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	ro, err := New(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Logf("start on a read-only filesystem refused: %v", err)
		return
	}
	defer ro.Close()
	if code := ready(ro); code != http.StatusServiceUnavailable {
		t.Fatalf("ready on a read-only filesystem: %d, want 503", code)
	}
}
