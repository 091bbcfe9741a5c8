package receiver

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// writeDemo writes the demo config with its database in dir and edit
// applied, and returns the file's path.
func writeDemo(t *testing.T, dir string, edit func(string) string) string {
	t.Helper()
	example, err := os.ReadFile("../deploy/examples/receiver.yml")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(example), "path: data/receiver.db", "path: "+filepath.Join(dir, "r.db"), 1)
	path := filepath.Join(dir, "receiver.yml")
	if err := os.WriteFile(path, []byte(edit(body)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const extraPath = "  # path: /hooks/alertmanager"

func withExtraPath(s string) string {
	return strings.Replace(s, extraPath, "  path: /hooks/am", 1)
}

func TestReloadAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	file := writeDemo(t, dir, func(s string) string { return s })
	cfg, err := LoadChecked(file)
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(context.Background(), Options{Config: cfg, ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, l) }()
	defer func() { cancel(); <-done }()
	url := "http://" + l.Addr().String()
	hook := func() int {
		code, _ := post(t, url+"/hooks/am", payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1"))
		return code
	}
	if code := hook(); code != http.StatusNotFound {
		t.Fatalf("extra webhook path before the reload: %d, want 404", code)
	}

	writeDemo(t, dir, withExtraPath)
	if code, body := post(t, url+"/-/reload", nil); code != http.StatusOK {
		t.Fatalf("POST /-/reload: %d %s", code, body)
	}
	if code := hook(); code != http.StatusOK {
		t.Fatalf("extra webhook path after the reload: %d, want 200", code)
	}
	if v := testutil.ToFloat64(app.reloadOK); v != 1 {
		t.Fatalf("golive_receiver_config_last_reload_successful = %v after a good reload", v)
	}

	for name, edit := range map[string]func(string) string{
		"a bad grading matcher": func(s string) string {
			return strings.Replace(withExtraPath(s), `'alertname=~"PostgresDown|DatabaseDown"'`, `'alertname=~"("'`, 1)
		},
		"a changed storage": func(s string) string {
			return strings.Replace(withExtraPath(s), "path: "+filepath.Join(dir, "r.db"), "path: "+filepath.Join(dir, "other.db"), 1)
		},
		"a missing token file": func(s string) string {
			return strings.Replace(withExtraPath(s), "auth:\n", "auth:\n  bearer_token_file: "+filepath.Join(dir, "nope")+"\n", 1)
		},
	} {
		writeDemo(t, dir, edit)
		if code, body := post(t, url+"/-/reload", nil); code != http.StatusInternalServerError {
			t.Errorf("%s: POST /-/reload = %d %s, want 500", name, code, body)
		}
		if v := testutil.ToFloat64(app.reloadOK); v != 0 {
			t.Errorf("%s: golive_receiver_config_last_reload_successful = %v, want 0", name, v)
		}
		if code := hook(); code != http.StatusOK {
			t.Errorf("%s: the previous config stopped serving after a failed reload: %d", name, code)
		}
	}
	if code, _ := get(t, url+"/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload = %d, want 405", code)
	}
}

// SIGHUP reaches the command, which reloads.
func TestCommandReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	file := writeDemo(t, dir, func(s string) string { return s })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Command(ctx, envFor(&stdout, &stderr, "--config.file="+file, "--web.listen-address="+addr))
	}()
	defer func() { cancel(); <-done }()
	url := "http://" + addr
	waitLogged(t, &stderr, func() bool {
		resp, err := newHTTPClient().Get(url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	writeDemo(t, dir, withExtraPath)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLogged(t, &stderr, func() bool {
		code, _ := post(t, url+"/hooks/am", payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1"))
		return code == 200
	})
}

func waitLogged(t *testing.T, log *syncBuffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; log:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// check-config must parse the DSN as the start does: a DSN pgx refuses
// fails the check, without printing it (it may hold a password).
func TestCheckRefusesAnUnparsableDSN(t *testing.T) {
	dir := t.TempDir()
	file := writeDemo(t, dir, func(s string) string {
		return strings.Replace(s, "storage:\n  sqlite:\n    path: "+filepath.Join(dir, "r.db"), "storage:\n  postgres:\n    dsn: postgres://u:s3cret@db:notaport/x", 1)
	})
	var stdout, stderr syncBuffer
	if code := Command(context.Background(), envFor(&stdout, &stderr, "--config.file="+file, "--config.check")); code != 1 {
		t.Fatalf("--config.check exit %d, want 1; stdout %q stderr %q", code, stdout.String(), stderr.String())
	}
	if e := stderr.String(); !strings.Contains(e, "storage.postgres: postgres: the DSN cannot be parsed") || strings.Contains(e, "s3cret") {
		t.Fatalf("stderr = %q", e)
	}
}
