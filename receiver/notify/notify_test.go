package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"github.com/golive-ops/golive/internal/yamlx"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"gopkg.in/yaml.v3"
)

var testMsg = Message{
	Key: "outbox-42", Event: "opened", IncidentID: "17", Priority: "P0", State: "new",
	Title: "ServiceDown on web-1", Summary: "nginx is down", Service: "web", Assignee: "alice",
	URL: "http://127.0.0.1:9470/incidents/17", StartedAt: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC),
}

func buildOne(t *testing.T, yml string) Channel {
	t.Helper()
	var cfg Config
	if err := yaml.Unmarshal([]byte(yml), &cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	chans, err := Build(cfg.Channels)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return chans[cfg.Channels[0].Name]
}

func TestSlackSendsPayloadAndClassifiesStatus(t *testing.T) {
	const secretPath = "/services/T000/B000/XXXXSECRETXXXX"
	var mu sync.Mutex
	var got slackPayload
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != secretPath || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("unexpected request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode: %v", err)
		}
		w.WriteHeader(status)
		io.WriteString(w, "invalid_payload")
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "slack-url")
	if err := os.WriteFile(file, []byte(srv.URL+secretPath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ch := buildOne(t, "channels: [{name: ops, slack: {url_file: "+file+", channel: '#ops'}}]")

	retry, err := ch.Sender.Send(context.Background(), testMsg)
	if err != nil || retry {
		t.Fatalf("200: retry=%v err=%v", retry, err)
	}
	if got.Channel != "#ops" || !strings.Contains(got.Text, "[P0] ServiceDown on web-1") || len(got.Attachments) != 1 ||
		got.Attachments[0].Color != priorityColor["P0"] || got.Attachments[0].TitleLink != testMsg.URL {
		t.Errorf("payload = %+v", got)
	}
	if !strings.Contains(got.Attachments[0].Text, "On call: alice") {
		t.Errorf("text lacks the on-call person: %q", got.Attachments[0].Text)
	}

	for _, c := range []struct {
		code  int
		retry bool
	}{{500, true}, {503, true}, {429, true}, {400, false}, {403, false}, {404, false}, {410, false}} {
		status = c.code
		retry, err := ch.Sender.Send(context.Background(), testMsg)
		if err == nil || retry != c.retry {
			t.Errorf("status %d: retry=%v err=%v, want retry=%v and an error", c.code, retry, err, c.retry)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("status %d: error leaks the webhook URL: %v", c.code, err)
		}
	}
}

func TestSlackEscapesAlertText(t *testing.T) {
	var got slackPayload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode: %v", err)
		}
	}))
	defer srv.Close()
	ch := buildOne(t, "channels: [{name: ops, slack: {url: '"+srv.URL+"/hook'}}]")
	m := testMsg
	m.Title = "disk <!channel> full & <@U123>"
	m.Service = "<!here>"
	if _, err := ch.Sender.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	all := got.Text + got.Attachments[0].Title + got.Attachments[0].Text
	for _, f := range got.Attachments[0].Fields {
		all += f.Value
	}
	for _, bad := range []string{"<!channel>", "<@U123>", "<!here>"} {
		if strings.Contains(all, bad) {
			t.Errorf("payload passes the control sequence %s through: %q", bad, all)
		}
	}
	if !strings.Contains(got.Text, "disk &lt;!channel&gt; full &amp; &lt;@U123&gt;") {
		t.Errorf("text = %q, want Slack-escaped", got.Text)
	}
}

func TestHTTPErrorsNeverLeakTheURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: connection refused
	// net/http masks only a password in the URL it prints: with user info
	// present, the path and query must still not show.
	for _, u := range []string{"http://" + addr + "/services/T/B/TOPSECRET", "http://user:TOPSECRET@" + addr + "/hook/TOPSECRET?token=TOPSECRET"} {
		ch := buildOne(t, "channels: [{name: ops, slack: {url: '"+u+"'}}]")
		retry, err := ch.Sender.Send(context.Background(), testMsg)
		if err == nil || !retry {
			t.Fatalf("refused: retry=%v err=%v, want a retryable error", retry, err)
		}
		if strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), addr) {
			t.Errorf("error leaks the URL or does not name the host: %v", err)
		}
	}
}

func TestWebhookSendsAuthAndIdempotencyKey(t *testing.T) {
	var got WebhookPayload
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode: %v", err)
		}
	}))
	defer srv.Close()
	tok := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(tok, []byte("s3cr3t\n"), 0o600)
	ch := buildOne(t, "channels: [{name: sms, webhook: {url: '"+srv.URL+"/sms', bearer_token_file: "+tok+", headers: {X-Team: ops}}}]")
	if retry, err := ch.Sender.Send(context.Background(), testMsg); err != nil || retry {
		t.Fatalf("send: retry=%v err=%v", retry, err)
	}
	if hdr.Get("Authorization") != "Bearer s3cr3t" || hdr.Get("Idempotency-Key") != "outbox-42" || hdr.Get("X-Team") != "ops" {
		t.Errorf("headers = %v", hdr)
	}
	if got.Version != "1" || got.IncidentID != "17" || got.Priority != "P0" || got.Title != "[P0] ServiceDown on web-1" {
		t.Errorf("payload = %+v", got)
	}
}

// smtpSink is a real SMTP server (go-smtp) that records deliveries.
type smtpSink struct {
	mu       sync.Mutex
	messages []string
	rcptErr  error
	authed   bool
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s    *smtpSink
	from string
	to   []string
}

func (ss *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (ss *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "golive" || pass != "mail-pass" {
			return &smtp.SMTPError{Code: 535, Message: "bad credentials"}
		}
		ss.s.mu.Lock()
		ss.s.authed = true
		ss.s.mu.Unlock()
		return nil
	}), nil
}
func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error { ss.from = from; return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.rcptErr != nil {
		return ss.s.rcptErr
	}
	ss.to = append(ss.to, to)
	return nil
}
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, string(b))
	ss.s.mu.Unlock()
	return err
}
func (ss *sinkSession) Reset()        {}
func (ss *sinkSession) Logout() error { return nil }

// startSMTP starts a sink; with TLS it offers STARTTLS with a fresh
// self-signed certificate whose CA file it returns.
func startSMTP(t *testing.T, withTLS bool) (*smtpSink, string, string) {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(sink)
	srv.Domain = "127.0.0.1"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	var caFile string
	if withTLS {
		cert, pemBytes := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		caFile = filepath.Join(t.TempDir(), "ca.pem")
		os.WriteFile(caFile, pemBytes, 0o600)
	} else {
		srv.AllowInsecureAuth = true
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sink, l.Addr().String(), caFile
}

func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kb, _ := x509.MarshalECPrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

func TestEmailOverSTARTTLSWithAuth(t *testing.T) {
	sink, addr, ca := startSMTP(t, true)
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("mail-pass\n"), 0o600)
	ch := buildOne(t, `channels:
- name: leads
  email:
    smarthost: `+addr+`
    from: "golive <golive@example.org>"
    to: ["cto@example.org", "Ops Lead <ops@example.org>"]
    auth_username: golive
    auth_password_file: `+pw+`
    tls_config: {ca_file: `+ca+`}
`)
	m := testMsg
	m.Title = "数据库不可用"
	if retry, err := ch.Sender.Send(context.Background(), m); err != nil {
		t.Fatalf("send: retry=%v err=%v", retry, err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if !sink.authed || len(sink.messages) != 1 {
		t.Fatalf("authed=%v messages=%d", sink.authed, len(sink.messages))
	}
	msg := sink.messages[0]
	for _, want := range []string{"Message-ID: <outbox-42@golive>", "X-Golive-Priority: P0", "To: <cto@example.org>, \"Ops Lead\" <ops@example.org>", "Subject: =?utf-8?q?"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestEmailRefusesPlaintextUnlessAllowed(t *testing.T) {
	sink, addr, _ := startSMTP(t, false)
	ch := buildOne(t, "channels: [{name: m, email: {smarthost: '"+addr+"', from: a@example.org, to: [b@example.org]}}]")
	retry, err := ch.Sender.Send(context.Background(), testMsg)
	if err == nil || retry || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("require_tls default: retry=%v err=%v, want a permanent STARTTLS error", retry, err)
	}
	ch = buildOne(t, "channels: [{name: m, email: {smarthost: '"+addr+"', from: a@example.org, to: [b@example.org], require_tls: false}}]")
	if _, err := ch.Sender.Send(context.Background(), testMsg); err != nil {
		t.Fatalf("require_tls false: %v", err)
	}
	if len(sink.messages) != 1 {
		t.Errorf("messages = %d, want 1", len(sink.messages))
	}
}

func TestEmailClassifiesSMTPReplies(t *testing.T) {
	sink, addr, _ := startSMTP(t, false)
	ch := buildOne(t, "channels: [{name: m, email: {smarthost: '"+addr+"', from: a@example.org, to: [b@example.org], require_tls: false}}]")
	for _, c := range []struct {
		code  int
		retry bool
	}{{450, true}, {421, true}, {550, false}, {553, false}} {
		sink.mu.Lock()
		sink.rcptErr = &smtp.SMTPError{Code: c.code, Message: "no"}
		sink.mu.Unlock()
		retry, err := ch.Sender.Send(context.Background(), testMsg)
		if err == nil || retry != c.retry {
			t.Errorf("reply %d: retry=%v err=%v, want retry=%v", c.code, retry, err, c.retry)
		}
	}
}

func TestEmailHonoursContext(t *testing.T) {
	// A server that accepts and never speaks: the send must end with ctx.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ch := buildOne(t, "channels: [{name: m, email: {smarthost: '"+l.Addr().String()+"', from: a@example.org, to: [b@example.org]}}]")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := ch.Sender.Send(ctx, testMsg); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("send to a silent server succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("send did not return after its context ended")
	}

	// The outbox worker's context has no deadline: the channel's timeout
	// must bound the whole SMTP conversation, not only the dial.
	ch = buildOne(t, "channels: [{name: m, timeout: 300ms, email: {smarthost: '"+l.Addr().String()+"', from: a@example.org, to: [b@example.org]}}]")
	go func() { _, err := ch.Sender.Send(context.Background(), testMsg); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("send to a silent server succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("send without a context deadline did not end at the channel timeout")
	}
}

func TestConfigValidation(t *testing.T) {
	cases := map[string]string{
		"channels: [{name: a}]": "exactly one of slack, email, webhook",
		"channels: [{name: a, slack: {url: 'http://x/y'}}, {name: a, slack: {url: 'http://x/y'}}]":                       "duplicate channel name",
		"channels: [{slack: {url: 'http://x/y'}}]":                                                                       "line 1: channels[0].name: is required",
		"channels: [{name: a, slack: {}}]":                                                                               "url or url_file is required",
		"channels: [{name: a, slack: {url: 'ftp://x/SECRETPATH'}}]":                                                      "absolute http or https URL",
		"channels: [{name: a, email: {smarthost: 'mail', from: a@b.c, to: [d@e.f]}}]":                                    "must be host:port",
		"channels: [{name: a, email: {smarthost: 'mail:25', from: 'not an address', to: [d@e.f]}}]":                      "from",
		"channels: [{name: a, email: {smarthost: 'mail:25', from: a@b.c}}]":                                              "email.to: needs at least one",
		"channels: [{name: a, webhook: {url: 'http://x', title: '{{ .Nope'}}]":                                           "line 1: channels[0].webhook.title: unknown field",
		"channels: [{name: a, title: '{{ .Nope', webhook: {url: 'http://x'}}]":                                           "title template",
		"channels: [{name: a, webhook: {url: 'http://x'}}]\nroutes: [{priorities: [P5], channels: [a]}]":                 "priority \"P5\"",
		"channels: [{name: a, webhook: {url: 'http://x'}}]\nroutes: [{priorities: [P0], channels: [b]}]":                 "channel \"b\" is not defined",
		"channels: [{name: a, webhook: {url: 'http://x'}}]\nroutes: [{priorities: [P0], events: [boom], channels: [a]}]": "event \"boom\"",
	}
	for in, want := range cases {
		var cfg Config
		err := yamlx.Unmarshal([]byte(in), &cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s\n  err = %v, want it to contain %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRETPATH") {
			t.Errorf("error leaks the URL: %v", err)
		}
	}
}

func TestChannelsForRoutesByPriorityAndEvent(t *testing.T) {
	var cfg Config
	err := yaml.Unmarshal([]byte(`
channels:
  - {name: leads, webhook: {url: 'http://x/1'}}
  - {name: oncall, webhook: {url: 'http://x/2'}}
  - {name: sms, webhook: {url: 'http://x/3'}}
routes:
  - {priorities: [P0, P1], channels: [leads, oncall]}
  - {priorities: [P0], events: [opened, escalated], channels: [sms, oncall]}
  - {priorities: [P2, P3], channels: [oncall]}
`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ p, e, want string }{
		{"P0", "opened", "leads,oncall,sms"},
		{"P0", "resolved", "leads,oncall"},
		// Without events a route carries only the changes to act on.
		{"P1", "acknowledged", ""},
		{"P1", "opened", "leads,oncall"},
		{"P3", "opened", "oncall"},
	} {
		if got := strings.Join(cfg.ChannelsFor(c.p, c.e), ","); got != c.want {
			t.Errorf("%s/%s: %s, want %s", c.p, c.e, got, c.want)
		}
	}
}
