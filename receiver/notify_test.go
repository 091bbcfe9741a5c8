package receiver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/store"
)

// slackSink is a Slack-compatible incoming webhook that records posts.
type slackSink struct {
	mu    sync.Mutex
	posts []map[string]any
}

func (s *slackSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.posts = append(s.posts, p)
	s.mu.Unlock()
	io.WriteString(w, "ok")
}

func (s *slackSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.posts)
}

func TestWebhookNotifiesOnceThroughTheOutbox(t *testing.T) {
	sink := &slackSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	cfg := demoConfig(t)
	cfg.Remediation = remediate.Config{} // notifications only: no remediation jobs, no approval pages
	if err := yaml.Unmarshal([]byte(`
channels: [{name: ops-slack, slack: {url: '`+srv.URL+`/services/T/B/x'}}]
routes: [{priorities: [P0, P1, P2, P3], channels: [ops-slack]}]
`), &cfg.Notify); err != nil {
		t.Fatal(err)
	}
	app := startApp(t, cfg)

	starts := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	// The same alert from two Alertmanager HA peers, and a retry.
	for _, peer := range []string{"http://am-1:9093", "http://am-2:9093", "http://am-1:9093"} {
		if code, body := post(t, app.url+DefaultWebhookPath, payload(t, peer, "firing", starts, "fp1")); code != http.StatusOK {
			t.Fatalf("webhook from %s: %d %s", peer, code, body)
		}
	}
	// The worker counts a delivery after recording it: then the outbox
	// holds everything that will ever be sent for these webhooks.
	sent := app.Metrics().Notifications.WithLabelValues("ops-slack", "sent")
	waitFor(t, func() bool { return testutil.ToFloat64(sent) >= 1 })
	items, err := app.Store().Outbox(t.Context(), 0)
	if err != nil || len(items) != 1 || items[0].DoneAt.IsZero() {
		t.Fatalf("outbox = %+v (%v), want one delivered item for one alert from two peers", items, err)
	}
	if n := sink.count(); n != 1 {
		t.Fatalf("slack got %d posts for one alert from two peers, want 1", n)
	}
	if got := testutil.ToFloat64(sent); got != 1 {
		t.Errorf("notifications sent = %v, want 1", got)
	}

	// Resolving notifies once more ("resolved" is a default event).
	if code, body := post(t, app.url+DefaultWebhookPath, payload(t, "http://am-1:9093", "resolved", starts, "fp1")); code != http.StatusOK {
		t.Fatalf("resolve: %d %s", code, body)
	}
	waitFor(t, func() bool { return sink.count() >= 2 })
	sink.mu.Lock()
	text, _ := sink.posts[1]["text"].(string)
	sink.mu.Unlock()
	if want := "(resolved)"; !strings.Contains(text, want) {
		t.Errorf("second post %q lacks %q", text, want)
	}

	// The timeline records the delivery.
	incs, err := app.Store().ListIncidents(t.Context(), store.IncidentFilter{})
	if err != nil || len(incs) != 1 {
		t.Fatalf("incidents: %v, %v", incs, err)
	}
	// The event is written just after the delivery, so wait for it.
	sentEvents := func() int {
		evs, err := app.Store().Timeline(t.Context(), incs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Kind == notify.EventNotificationSent {
				n++
			}
		}
		return n
	}
	waitFor(t, func() bool { return sentEvents() >= 2 })
	if n := sentEvents(); n != 2 {
		t.Errorf("timeline has %d notification_sent events, want 2", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNotifyTestCommandReportsEachChannel(t *testing.T) {
	sink := &slackSink{}
	good := httptest.NewServer(sink)
	defer good.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "channel_not_found", http.StatusNotFound)
	}))
	defer bad.Close()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "receiver.yml")
	writeFile(t, cfgFile, `
storage: {sqlite: {path: `+filepath.Join(dir, "r.db")+`}}
auth: {insecure_allow_unauthenticated_loopback: true}
notify:
  channels:
    - {name: good, slack: {url: '`+good.URL+`/services/T/B/GOODSECRET'}}
    - {name: broken, slack: {url: '`+bad.URL+`/services/T/B/BADSECRET'}}
`)
	run := func(args ...string) (int, string) {
		var out strings.Builder
		code := NotifyTestCommand(t.Context(), cli.Env{Args: append([]string{"--config.file", cfgFile}, args...), Stdout: &out, Stderr: &out})
		return code, out.String()
	}
	if code, out := run("good"); code != 0 || !strings.Contains(out, "good") || !strings.Contains(out, "ok (slack)") || sink.count() != 1 {
		t.Errorf("good channel: exit %d, %q, %d posts", code, out, sink.count())
	}
	code, out := run()
	if code != 1 || !strings.Contains(out, "broken") || !strings.Contains(out, "FAILED") || !strings.Contains(out, "404") {
		t.Errorf("all channels: exit %d, %q", code, out)
	}
	if strings.Contains(out, "SECRET") {
		t.Errorf("output leaks a webhook URL: %q", out)
	}
	if code, out := run("nope"); code != 1 || !strings.Contains(out, "no such channel") {
		t.Errorf("unknown channel: exit %d, %q", code, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
