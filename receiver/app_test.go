package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/webhook"
)

type testApp struct {
	*App
	url string
}

func demoConfig(t testing.TB) *config.Config {
	c, err := config.Load("../deploy/examples/receiver.yml")
	if err != nil {
		t.Fatal(err)
	}
	c.Storage.SQLite.Path = filepath.Join(t.TempDir(), "receiver.db")
	return c
}

func startApp(t *testing.T, cfg *config.Config) *testApp {
	t.Helper()
	app, err := New(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		app.Close()
	})
	return &testApp{App: app, url: "http://" + l.Addr().String()}
}

// payload is an Alertmanager v4 webhook body with n alerts of one group.
func payload(t testing.TB, peer, status string, starts time.Time, fps ...string) []byte {
	m := webhook.Message{Version: "4", GroupKey: `{}:{alertname="HTTPErrorRateHigh"}`}
	m.Receiver, m.Status, m.ExternalURL = "golive", status, peer
	for _, fp := range fps {
		a := template.Alert{Status: status, Fingerprint: fp, StartsAt: starts,
			Labels:      map[string]string{"alertname": "HTTPErrorRateHigh", "service": "web", "instance": fp},
			Annotations: map[string]string{"value": "0.62"}}
		if status == "resolved" {
			a.EndsAt = starts.Add(time.Minute)
		}
		m.Alerts = append(m.Alerts, a)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(t testing.TB, url string, body []byte, header ...string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t testing.TB, url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWebhookAnswers(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Webhook.MaxBodyBytes = 4096
	cfg.Webhook.Path = "/hooks/am"
	a := startApp(t, cfg)
	hook := a.url + DefaultWebhookPath
	now := time.Now().Add(-time.Minute)
	good := payload(t, "am-0", "firing", now, "fp1")

	cases := []struct {
		name   string
		url    string
		body   []byte
		header []string
		code   int
		want   string
	}{
		{"truncated JSON", hook, good[:len(good)-5], nil, 400, "malformed JSON: unexpected EOF"},
		{"wrong version", hook, bytes.Replace(good, []byte(`"version":"4"`), []byte(`"version":"3"`), 1), nil, 400, `unsupported version "3"`},
		{"future timestamp", hook, payload(t, "am-0", "firing", time.Now().Add(48*time.Hour), "fp9"), nil, 400, "in the future"},
		{"invalid UTF-8", hook, bytes.Replace(good, []byte("HTTPErrorRateHigh"), []byte("HTTP\xffrror"), 1), nil, 400, "not valid UTF-8"},
		{"too large", hook, payload(t, "am-0", "firing", now, strings.Split(strings.Repeat("x,", 60), ",")...), nil, 413, "body larger than 4096 bytes"},
		{"wrong content type", hook, good, []string{"Content-Type", "text/plain"}, 415, "Content-Type must be application/json"},
		{"accepted", hook, good, nil, 200, `"new":1`},
		{"accepted again on the configured path", a.url + "/hooks/am", good, nil, 200, `"duplicates":1`},
	}
	for _, c := range cases {
		code, body := post(t, c.url, c.body, c.header...)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %q, want %d containing %q", c.name, code, body, c.code, c.want)
		}
	}
	// Nothing from the rejected requests was stored.
	d := listIncidents(t, a.url+"/api/v1/incidents?state=new")
	if len(d) != 1 {
		t.Fatalf("%d incidents, want only the accepted one", len(d))
	}
	_, metrics := get(t, a.url+"/metrics")
	for _, want := range []string{
		`golive_receiver_webhooks_received_total{result="bad_request"} 4`,
		`golive_receiver_webhooks_received_total{result="too_large"} 1`,
		`golive_receiver_webhooks_received_total{result="ok"} 2`,
		`golive_receiver_duplicate_occurrences_total 1`,
		`golive_receiver_incidents_open{priority="P0"} 1`,
		`golive_receiver_outbox_depth 0`,
		`golive_receiver_ingest_duration_seconds_count 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func listIncidents(t *testing.T, url string) []map[string]any {
	t.Helper()
	code, body := get(t, url)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	var out struct{ Incidents []map[string]any }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return out.Incidents
}

func TestCredentials(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Auth = config.Auth{BearerToken: "tok-1"}
	a := startApp(t, cfg)
	good := payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1")
	for _, c := range []struct {
		header []string
		code   int
	}{
		{nil, 401},
		{[]string{"Authorization", "Bearer nope"}, 401},
		{[]string{"Authorization", "Bearer tok-1"}, 200},
	} {
		if code, body := post(t, a.url+DefaultWebhookPath, good, c.header...); code != c.code {
			t.Errorf("%v: %d %s, want %d", c.header, code, body, c.code)
		}
	}
	if code, _ := get(t, a.url+"/api/v1/incidents"); code != 401 {
		t.Errorf("API without credentials: %d, want 401", code)
	}
	if code, _ := get(t, a.url+"/ui"); code != 401 {
		t.Errorf("UI without credentials: %d, want 401", code)
	}
	if code, _ := get(t, a.url+"/metrics"); code != 200 {
		t.Errorf("/metrics: %d, want 200", code)
	}
}

func TestStorageUnavailable(t *testing.T) {
	a := startApp(t, demoConfig(t))
	if code, _ := get(t, a.url+"/-/ready"); code != 200 {
		t.Fatalf("/-/ready = %d before the failure", code)
	}
	a.Store().Close() // the database goes away
	code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now(), "fp1"))
	if code != 503 || !strings.Contains(body, "storage unavailable") {
		t.Fatalf("webhook with storage down: %d %s, want 503", code, body)
	}
	if code, _ := get(t, a.url+"/-/ready"); code != 503 {
		t.Fatalf("/-/ready = %d with storage down, want 503", code)
	}
	if code, _ := get(t, a.url+"/-/healthy"); code != 200 {
		t.Fatalf("/-/healthy = %d, want 200 (the process is fine)", code)
	}
}

func TestAPIAndUI(t *testing.T) {
	a := startApp(t, demoConfig(t))
	starts := time.Now().Add(-time.Minute)
	if code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", starts, "fp1", "fp2")); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	incs := listIncidents(t, a.url+"/api/v1/incidents?priority=P0&state=new,acknowledged&service=web")
	if len(incs) != 1 || incs[0]["priority"] != "P0" || incs[0]["state"] != "new" {
		t.Fatalf("list = %v", incs)
	}
	if got := listIncidents(t, a.url+"/api/v1/incidents?priority=P3"); len(got) != 0 {
		t.Fatalf("priority filter returned %v", got)
	}
	id := int(incs[0]["id"].(float64))
	tr := func(body string) (int, string) {
		return post(t, fmt.Sprintf("%s/api/v1/incidents/%d/transition", a.url, id), []byte(body))
	}
	cases := []struct {
		body, want string
		code       int
	}{
		{`{"state":"closed","actor":"alice"}`, "is new and cannot move to closed", 409},
		{`{"state":"acknowledged"}`, "actor is required", 400},
		{`{"state":"sleeping","actor":"a"}`, `state \"sleeping\" is not one of`, 400},
		{`{"state":"acknowledged","actor":"alice","bogus":1}`, "unknown field", 400},
		{`{"state":"acknowledged","actor":"alice"} {"state":"closed"}`, "data after the JSON object", 400},
		{`{"state":"acknowledged","actor":"alice","note":"a\u0000b"}`, "NUL character", 400},
		{`{"state":"acknowledged","actor":"alice","note":"` + strings.Repeat("x", 2<<20) + `"}`, "larger than", 413},
		{`{"state":"acknowledged","actor":"alice","note":"looking"}`, `"state": "acknowledged"`, 200},
		{`{"state":"acknowledged","actor":"alice"}`, "is acknowledged and cannot move to acknowledged", 409},
	}
	for _, c := range cases {
		if code, body := tr(c.body); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want %d containing %q", c.body, code, body, c.code, c.want)
		}
	}
	code, body := post(t, fmt.Sprintf("%s/api/v1/incidents/%d/notes", a.url, id), []byte(`{"actor":"bob","note":"rolled back"}`))
	if code != 200 || !strings.Contains(body, "rolled back") || !strings.Contains(body, `"kind": "transition"`) {
		t.Fatalf("note: %d %s", code, body)
	}
	if code, _ := get(t, a.url+"/api/v1/incidents/999"); code != 404 {
		t.Errorf("unknown incident: %d, want 404", code)
	}
	if code, _ := get(t, a.url+"/api/v1/incidents?from=yesterday"); code != 400 {
		t.Errorf("bad time filter: %d, want 400", code)
	}
	code, page := get(t, fmt.Sprintf("%s/ui/incidents/%d", a.url, id))
	if code != 200 || !strings.Contains(page, "HTTPErrorRateHigh / web") || !strings.Contains(page, "error-rate-above-50pct") ||
		!strings.Contains(page, "rolled back") {
		t.Fatalf("UI detail: %d\n%s", code, page)
	}
	if code, page := get(t, a.url+"/ui?state=acknowledged"); code != 200 || !strings.Contains(page, fmt.Sprintf("/ui/incidents/%d", id)) {
		t.Fatalf("UI list: %d\n%s", code, page)
	}
	if code, _ := get(t, a.url+"/ui?priority=P7"); code != 400 {
		t.Fatalf("UI with a bad filter: %d, want 400", code)
	}
}

func TestCommandConfigCheck(t *testing.T) {
	var out, errb bytes.Buffer
	code := Command(context.Background(), envFor(&out, &errb, "--config.file=../deploy/examples/receiver.yml", "--config.check"))
	if code != 0 || !strings.Contains(out.String(), "OK") {
		t.Fatalf("check of the example: %d %s %s", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	code = Command(context.Background(), envFor(&out, &errb, "--config.file=testdata/nope.yml", "--config.check"))
	if code != 1 || !strings.Contains(errb.String(), "nope.yml") {
		t.Fatalf("missing file: %d %s", code, errb.String())
	}
}

// Alert labels are attacker-controlled text (anyone who can write a
// Prometheus rule or push to Alertmanager): the UI must escape them.
func TestUIEscapesAlertText(t *testing.T) {
	a := startApp(t, demoConfig(t))
	const evil = `<script>alert(1)</script>`
	m := webhook.Message{Version: "4", GroupKey: "{}:{}"}
	m.Receiver, m.Status = "golive", "firing"
	m.Alerts = append(m.Alerts, template.Alert{Status: "firing", Fingerprint: "fx", StartsAt: time.Now().Add(-time.Minute),
		Labels: map[string]string{"alertname": "X" + evil, "service": evil, "instance": `"><img src=x onerror=alert(2)>`}})
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := post(t, a.url+DefaultWebhookPath, body); code != 200 {
		t.Fatalf("webhook: %d %s", code, resp)
	}
	id := int(listIncidents(t, a.url+"/api/v1/incidents")[0]["id"].(float64))
	for _, page := range []string{"/ui", fmt.Sprintf("/ui/incidents/%d", id), "/ui?service=" + url.QueryEscape(evil)} {
		code, html := get(t, a.url+page)
		if code != 200 {
			t.Fatalf("%s: %d", page, code)
		}
		if strings.Contains(html, "<script>alert") || strings.Contains(html, "<img src=x") {
			t.Errorf("%s renders alert text as HTML:\n%s", page, html)
		}
		if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the escaped label:\n%s", page, html)
		}
	}
}
