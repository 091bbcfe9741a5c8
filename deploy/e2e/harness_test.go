package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pollEvery is how often waits re-check their condition.
const pollEvery = 100 * time.Millisecond

// proc is one subprocess of the chain. Its stdout and stderr go to a log
// file that is printed when the test fails.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	err     error // Wait's result, valid once exited is closed
}

// startProc starts bin with args, logging to dir/<name>.log. The process is
// stopped when the test ends, and its log printed if the test failed.
func startProc(t *testing.T, dir, name, bin string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logFile, "### %s %s\n", bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = dir
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			p.dumpLog(t)
		}
	})
	return p
}

// running reports whether the process has not exited.
func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop asks the process to terminate and kills it if it has not within 10s.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not stop within 10s of SIGTERM; killing it", p.name)
		p.kill(t)
	}
}

// kill sends SIGKILL (no chance to flush or clean up) and waits for the exit.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s (pid %d) survived SIGKILL for 10s", p.name, p.cmd.Process.Pid)
	}
}

// dumpLog prints the end of the process's log.
func (p *proc) dumpLog(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Logf("%s log: %v", p.name, err)
		return
	}
	const tail = 12 << 10
	if len(b) > tail {
		b = append([]byte("...\n"), b[len(b)-tail:]...)
	}
	t.Logf("----- %s log (%s) -----\n%s", p.name, p.logPath, b)
}

// waitFor polls cond until it returns true, failing the test at the
// deadline with the last reason cond gave. Every proc in watch must keep
// running meanwhile: an early exit fails at once instead of at the deadline.
func waitFor(t *testing.T, timeout time.Duration, what string, watch []*proc, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, why := cond()
		if ok {
			return
		}
		if why != "" {
			last = why
		}
		for _, p := range watch {
			if !p.running() {
				t.Fatalf("waiting for %s: %s exited early (%v)", what, p.name, p.err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not done after %s; last: %s", what, timeout, last)
		}
		time.Sleep(pollEvery)
	}
}

// handedOut holds every port freePort has returned in this test binary.
var handedOut sync.Map

// freePort returns a loopback TCP port that was free a moment ago and that
// no earlier call returned: a port is closed again before its process binds
// it, so the kernel may offer it twice, and two processes of one chain (an
// Alertmanager's web port and its peer's cluster port) must never collide.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if _, dup := handedOut.LoadOrStore(port, true); !dup {
			return port
		}
	}
	t.Fatal("no loopback port that was not handed out already")
	return 0
}

// freeTCPUDPPort returns a loopback port free for both TCP and UDP, as the
// Alertmanager cluster (memberlist) listens on both.
func freeTCPUDPPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		port := freePort(t)
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		u.Close()
		return port
	}
	t.Fatal("no loopback port free for both TCP and UDP")
	return 0
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// httpGet fetches url with a short timeout; it returns the status and body.
func httpGet(ctx context.Context, url string, header http.Header) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, body, err
}

// waitReady waits until url answers 200.
func waitReady(t *testing.T, p *proc, url string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, p.name+" ready at "+url, []*proc{p}, func() (bool, string) {
		code, _, err := httpGet(context.Background(), url, nil)
		if err != nil {
			return false, err.Error()
		}
		return code == http.StatusOK, "status " + strconv.Itoa(code)
	})
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
