package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/golive-ops/golive/receiver/webhook"
)

// The demo receiver answers its go-live gate at once: hold, saying
// Prometheus is not reachable; a critical alert from Alertmanager then
// turns it into rollback, end to end through the webhook and the store.
func TestDemoGateAnswersAtOnce(t *testing.T) {
	cfg := demoConfig(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Gate.Prometheus.URL = "http://" + l.Addr().String() // closed: nothing answers
	l.Close()
	cfg.Gate.Gates[0].MinInterval = 0 // evaluate every call (model.Duration 0 = no cache)
	app := startApp(t, cfg)

	get := func() map[string]any {
		t.Helper()
		resp, err := http.Get(app.url + "/api/v1/gates/go-live")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET gate: %d %s", resp.StatusCode, b)
		}
		var d map[string]any
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := get()
	if d["decision"] != "hold" || !strings.Contains(toJSON(t, d["reasons"]), "is not reachable") {
		t.Fatalf("demo gate: %v %v", d["decision"], d["reasons"])
	}

	m := webhook.Message{Version: "4", GroupKey: `{}:{alertname="HTTPErrorRateHigh"}`}
	m.Receiver, m.Status = "golive", "firing"
	m.Alerts = append(m.Alerts, template.Alert{Status: "firing", Fingerprint: "c0ffee", StartsAt: time.Now().Add(-time.Minute),
		Labels:      map[string]string{"alertname": "HTTPErrorRateHigh", "service": "web", "severity": "critical"},
		Annotations: map[string]string{"value": "0.62"}})
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if code, out := post(t, app.url+DefaultWebhookPath, body); code != http.StatusOK {
		t.Fatalf("webhook: %d %s", code, out)
	}
	d = get()
	if d["decision"] != "rollback" || !strings.Contains(toJSON(t, d["reasons"]), "alert HTTPErrorRateHigh (critical) is firing") ||
		!strings.Contains(toJSON(t, d["incidents"]), `"priority":"P0"`) {
		t.Fatalf("after a critical alert: %v %v %v", d["decision"], d["reasons"], d["incidents"])
	}
}

func toJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// `golive check-config` (the receiver's --config.check) names the line and
// field of a bad gate.
func TestCheckConfigCoversGates(t *testing.T) {
	for _, tt := range []struct{ check, want string }{
		{`{name: mem, query: 'max(y)', op: "=>", threshold: 0.8}`, `line 7: gates[0].checks[1].op: "=>" is not one of`},
		{`{name: mem, query: 'rate(y[5m]', op: ">", threshold: 0.8}`, `line 7: gates[0].checks[1].query: bad PromQL "rate(y[5m]"`},
		{`{name: mem, query: 'max(y)', op: ">", threshold: 0.8, on_breach: abort}`, `line 7: gates[0].checks[1].on_breach: "abort" is not hold or rollback`},
		{`{name: mem, query: 'max(y)', op: ">", treshold: 0.8}`, "gates[0].checks[1].treshold: unknown field (did you mean threshold?)"},
	} {
		doc := "auth: {insecure_allow_unauthenticated_loopback: true}\nprometheus: {url: http://127.0.0.1:9090}\ngates:\n  - name: go-live\n    checks:\n" +
			"      - {name: cpu, query: 'max(x)', op: \">\", threshold: 0.8}\n      - " + tt.check + "\n"
		file := filepath.Join(t.TempDir(), "receiver.yml")
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if code := Command(context.Background(), envFor(&out, &errb, "--config.file="+file, "--config.check")); code == 0 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%s: exit %d, stderr %q, want it to say %q", tt.check, code, errb.String(), tt.want)
		}
	}
}

// A reload swaps the gates in whole: a gate added to the file answers
// after POST /-/reload, and the gate metrics survive the new generation.
func TestReloadChangesGates(t *testing.T) {
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
	srv := httptestServer(t, app)
	if code, _ := get(t, srv+"/api/v1/gates/canary"); code != http.StatusNotFound {
		t.Fatalf("gate canary before the reload: %d", code)
	}
	writeDemo(t, dir, func(s string) string {
		return strings.Replace(s, "gates:\n", "gates:\n  - name: canary\n    alerts: ['severity=\"critical\"']\n", 1)
	})
	if err := app.Reload(); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, srv+"/api/v1/gates/canary")
	if code != http.StatusOK || !strings.Contains(body, `"decision":"proceed"`) {
		t.Fatalf("gate canary after the reload: %d %s", code, body)
	}
	if code, body := get(t, srv+"/metrics"); code != http.StatusOK || !strings.Contains(body, `golive_gate_decisions_total{decision="proceed",gate="canary"} 1`) {
		t.Fatalf("metrics after the reload: %d\n%s", code, body)
	}
}

func httptestServer(t *testing.T, app *App) string {
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}
