package receiver

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read the log while the command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The demo config runs, warns that loopback needs no credentials, accepts
// a webhook from loopback and stops cleanly on cancellation.
func TestCommandDemoMode(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile("../deploy/examples/receiver.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "receiver.yml")
	body := strings.Replace(string(example), "path: data/receiver.db", "path: "+filepath.Join(dir, "r.db"), 1)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
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
		done <- Command(ctx, envFor(&stdout, &stderr, "--config.file="+cfg, "--web.listen-address="+addr))
	}()
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := newHTTPClient().Get(url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("receiver did not become ready; log:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, err := postWith(newHTTPClient(), url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1"))
	if err != nil || code != 200 {
		t.Fatalf("webhook from loopback in demo mode: %d %v", code, err)
	}
	cancel()
	if exit := <-done; exit != 0 {
		t.Fatalf("exit %d; log:\n%s", exit, stderr.String())
	}
	if log := stderr.String(); !strings.Contains(log, "demo mode") || !strings.Contains(log, "WITHOUT credentials") {
		t.Fatalf("no demo-mode warning in the log:\n%s", log)
	}
}
