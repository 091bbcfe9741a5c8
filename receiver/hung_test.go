package receiver

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// A SQLite writer lock held by another process makes the webhook answer
// 503 within storage.timeout (Alertmanager retries), and /-/ready 503.
func TestWebhookAnswers503FastWhenTheStoreIsLocked(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Storage.Timeout = model.Duration(300 * time.Millisecond)
	a := startApp(t, cfg)
	other, err := sql.Open("sqlite", "file:"+cfg.Storage.SQLite.Path+"?_pragma=busy_timeout(5000)") // waits out the app's own short writes (heartbeat, worker)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1"))
	if code != http.StatusServiceUnavailable {
		t.Fatalf("webhook under a foreign writer lock: %d %s, want 503", code, body)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the 503 took %s, want about storage.timeout (300ms)", d)
	}
	if code, _ := get(t, a.url+"/-/ready"); code != http.StatusServiceUnavailable {
		t.Fatalf("/-/ready under a foreign writer lock: %d, want 503", code)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1")); code != 200 {
		t.Fatalf("webhook after the lock is gone: %d %s", code, body)
	}
}
