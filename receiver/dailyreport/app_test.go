package dailyreport_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/golive-ops/golive/receiver"
	"github.com/golive-ops/golive/receiver/config"
)

// The receiver wired with a report section mails the day's report by
// itself once report.at has passed, and only once.
func TestReceiverMailsTheDailyReport(t *testing.T) {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	t.Cleanup(prom.Close)
	sink, addr := startSink(t)
	cfg, err := config.Parse([]byte(`
auth: {disabled: true}
storage: {sqlite: {path: "` + t.TempDir() + `/r.db"}}
oncall: {timezone: Asia/Shanghai}
notify:
  channels:
  - name: ops-mail
    email: {smarthost: "` + addr + `", from: golive@example.org, to: [ops@example.org], require_tls: false}
report:
  to: [sre@example.org]
  channel: ops-mail
  prometheus_url: ` + prom.URL + `
  at: "08:00"
`))
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 5, 4, 8, 1, 0, 0, sh)
	app, err := receiver.New(context.Background(), receiver.Options{Config: cfg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		<-done
		app.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for len(sink.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // a second send would come within the worker's poll
	msgs := sink.all()
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1", len(msgs))
	}
	if !strings.Contains(msgs[0], "X-Golive-Report: 2026-05-04") || !strings.Contains(msgs[0], "multipart/alternative") {
		t.Errorf("mail is not the report of 2026-05-04 (Shanghai):\n%.600s", msgs[0])
	}
}

type sink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *sink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return session{s}, nil }

type session struct{ s *sink }

func (session) Mail(string, *smtp.MailOptions) error { return nil }
func (session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, string(b))
	ss.s.mu.Unlock()
	return err
}
func (session) Reset()        {}
func (session) Logout() error { return nil }

func startSink(t *testing.T) (*sink, string) {
	s := &sink{}
	srv := smtp.NewServer(s)
	srv.Domain = "127.0.0.1"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 8 << 20
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s, l.Addr().String()
}
