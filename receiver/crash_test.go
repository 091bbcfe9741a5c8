package receiver

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/store/sqlite"
)

// crashChildEnv switches the test binary into "run a receiver" mode, so
// the crash test can kill -9 a real receiver process.
const crashChildEnv = "GOLIVE_RECEIVER_CRASH_CHILD_DB"

func TestMain(m *testing.M) {
	if code, ok := remedyChild(); ok {
		os.Exit(code)
	}
	if db := os.Getenv(crashChildEnv); db != "" {
		os.Exit(runCrashChild(db))
	}
	os.Exit(m.Run())
}

// runCrashChild serves the demo config on db and prints its address.
func runCrashChild(db string) int {
	cfg := demoConfigFrom("../deploy/examples/receiver.yml")
	cfg.Storage.SQLite.Path = db
	if os.Getenv(rolloutChildEnv) != "" {
		proceedingGate(cfg)
	}
	app, err := New(context.Background(), Options{Config: cfg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	fmt.Printf("LISTEN %s\n", l.Addr())
	if err := app.Serve(context.Background(), l); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

func startChild(t *testing.T, db string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+db)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "LISTEN ") {
		t.Fatalf("child did not start: %q %v", line, err)
	}
	return cmd, "http://" + strings.TrimSpace(strings.TrimPrefix(line, "LISTEN "))
}

type acked struct {
	fps    []string
	starts time.Time
}

// TestCrashDurability: every webhook answered 200 survives kill -9.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns receiver processes")
	}
	db := filepath.Join(t.TempDir(), "receiver.db")
	cmd, url := startChild(t, db)
	var (
		mu   sync.Mutex
		ok   []acked
		n200 atomic.Int64
		wg   sync.WaitGroup
	)
	starts := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	client := newHTTPClient()
	senders := make(chan struct{})
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				fps := make([]string, 10)
				for k := range fps {
					fps[k] = fmt.Sprintf("w%d-%d-%d", w, i, k)
				}
				code, err := postWith(client, url+DefaultWebhookPath, payload(t, "am-0", "firing", starts, fps...))
				if err != nil {
					return // the receiver is gone
				}
				if code == 200 {
					mu.Lock()
					ok = append(ok, acked{fps, starts})
					mu.Unlock()
					n200.Add(1)
				}
			}
		})
	}
	go func() { wg.Wait(); close(senders) }()
	// Bounded by progress, not by a clock: a loaded machine only makes the
	// burst slower. Senders that all gave up (the child died) end the wait.
	for n200.Load() < 150 {
		select {
		case <-senders:
			t.Fatalf("every sender stopped after %d answers of 200: the receiver died before the kill", n200.Load())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL mid-burst
		t.Fatal(err)
	}
	wg.Wait()
	_ = cmd.Wait()

	// The receiver restarts on the crashed database and keeps working.
	cmd2, url2 := startChild(t, db)
	if code, err := postWith(client, url2+DefaultWebhookPath, payload(t, "am-0", "firing", starts, "after-restart")); err != nil || code != 200 {
		t.Fatalf("after restart: %d %v", code, err)
	}
	_ = cmd2.Process.Kill()
	_ = cmd2.Wait()

	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, a := range append(ok, acked{[]string{"after-restart"}, starts}) {
		for _, fp := range a.fps {
			o, err := s.Occurrence(context.Background(), fp, a.starts)
			if err != nil || o.IncidentID == 0 {
				t.Fatalf("webhook answered 200 but occurrence %s is lost after kill -9: %+v %v", fp, o, err)
			}
		}
	}
	t.Logf("%d webhooks (%d alerts) answered 200 before kill -9; all present after restart", len(ok), len(ok)*10)
}
