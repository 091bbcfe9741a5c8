package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// valid is a payload as Alertmanager 0.27+ sends it.
const valid = `{
  "receiver": "golive",
  "status": "firing",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "HTTPErrorRateHigh", "service": "web", "severity": "critical", "priority": "P1"},
      "annotations": {"summary": "HTTP error rate is high.", "value": "0.62"},
      "startsAt": "2025-03-01T11:58:00.123456789Z",
      "endsAt": "2025-03-01T12:03:00Z",
      "generatorURL": "http://prometheus:9090/graph?g0.expr=x",
      "fingerprint": "a1b2c3d4e5f60718"
    },
    {
      "status": "resolved",
      "labels": {"alertname": "HostCPUUsageHigh", "instance": "db1:9100"},
      "annotations": {},
      "startsAt": "2025-03-01T11:00:00Z",
      "endsAt": "2025-03-01T11:30:00Z",
      "generatorURL": "",
      "fingerprint": "0f0f0f0f0f0f0f0f"
    }
  ],
  "groupLabels": {"alertname": "HTTPErrorRateHigh"},
  "commonLabels": {},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager-1:9093",
  "version": "4",
  "groupKey": "{}:{alertname=\"HTTPErrorRateHigh\"}",
  "truncatedAlerts": 0,
  "notification_reason": "repeat interval elapsed",
  "routeLabels": {"team": "ops"}
}`

func TestDecodeValid(t *testing.T) {
	m, err := Decode([]byte(valid), now, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	a := m.Alerts[0]
	if m.Version != "4" || m.GroupKey == "" || len(m.Alerts) != 2 || m.RouteLabels["team"] != "ops" || !m.Repeat() {
		t.Fatalf("message fields lost: %+v", m)
	}
	if a.Fingerprint != "a1b2c3d4e5f60718" || a.StartsAt.Nanosecond() != 123456789 || a.Labels["service"] != "web" {
		t.Fatalf("alert fields lost: %+v", a)
	}
	if !a.EndsAt.IsZero() {
		t.Fatalf("a firing alert's endsAt must be cleared, got %v", a.EndsAt)
	}
	if m.Alerts[1].EndsAt.IsZero() {
		t.Fatal("a resolved alert lost its endsAt")
	}
}

// mutate edits the valid payload as a generic JSON tree.
func mutate(t *testing.T, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(valid), &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func alert(m map[string]any, i int) map[string]any { return m["alerts"].([]any)[i].(map[string]any) }

func TestDecodeRejects(t *testing.T) {
	manyLabels := map[string]any{"alertname": "X"}
	for i := range 3000 {
		manyLabels[fmt.Sprint("l", i)] = "v"
	}
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"empty body", []byte(""), "malformed JSON: EOF"},
		{"truncated", []byte(valid[:len(valid)/2]), "malformed JSON: unexpected EOF"},
		{"not an object", []byte(`[1,2]`), "malformed JSON"},
		{"trailing data", []byte(valid + `{}`), "data after the payload object"},
		{"invalid UTF-8", []byte(strings.Replace(valid, "web", "w\xffb", 1)), "body is not valid UTF-8"},
		{"missing version", mutate(t, func(m map[string]any) { delete(m, "version") }), `version: missing (want "4")`},
		{"wrong version", mutate(t, func(m map[string]any) { m["version"] = "3" }), `version: unsupported version "3" (want "4")`},
		{"version as number", mutate(t, func(m map[string]any) { m["version"] = 4 }), "malformed JSON: json: cannot unmarshal number"},
		{"missing groupKey", mutate(t, func(m map[string]any) { delete(m, "groupKey") }), "groupKey: missing"},
		{"missing receiver", mutate(t, func(m map[string]any) { m["receiver"] = "" }), "receiver: missing"},
		{"bad status", mutate(t, func(m map[string]any) { m["status"] = "pending" }), `status: "pending" is neither firing nor resolved`},
		{"no alerts", mutate(t, func(m map[string]any) { m["alerts"] = []any{} }), "alerts: empty"},
		{"alert status", mutate(t, func(m map[string]any) { alert(m, 1)["status"] = "" }), `alerts[1].status: "" is neither firing nor resolved`},
		{"no fingerprint", mutate(t, func(m map[string]any) { delete(alert(m, 0), "fingerprint") }), "alerts[0].fingerprint: missing"},
		{"no alertname", mutate(t, func(m map[string]any) { alert(m, 0)["labels"] = map[string]any{"service": "web"} }), "alerts[0].labels.alertname: missing"},
		{"no labels", mutate(t, func(m map[string]any) { delete(alert(m, 0), "labels") }), "alerts[0].labels: missing"},
		{"label not a string", mutate(t, func(m map[string]any) { alert(m, 0)["labels"] = map[string]any{"alertname": 1} }), "malformed JSON"},
		{"no startsAt", mutate(t, func(m map[string]any) { delete(alert(m, 0), "startsAt") }), "alerts[0].startsAt: missing"},
		{"bad time", mutate(t, func(m map[string]any) { alert(m, 0)["startsAt"] = "yesterday" }), "malformed JSON: parsing time"},
		{"far future", mutate(t, func(m map[string]any) { alert(m, 0)["startsAt"] = "2031-01-01T00:00:00Z" }), "alerts[0].startsAt: 2031-01-01T00:00:00Z is more than 10m0s in the future"},
		{"ancient", mutate(t, func(m map[string]any) { alert(m, 0)["startsAt"] = "1960-01-01T00:00:00Z" }), "alerts[0].startsAt: 1960-01-01T00:00:00Z is before 2000"},
		{"resolved without endsAt", mutate(t, func(m map[string]any) { delete(alert(m, 1), "endsAt") }), "alerts[1].endsAt: missing"},
		{"ends before start", mutate(t, func(m map[string]any) { alert(m, 1)["endsAt"] = "2025-03-01T10:00:00Z" }), "alerts[1].endsAt: 2025-03-01T10:00:00Z is before startsAt"},
		{"thousands of labels", mutate(t, func(m map[string]any) { alert(m, 0)["labels"] = manyLabels }), "alerts[0].labels: 3001 entries, more than the limit of 256"},
		{"huge value", mutate(t, func(m map[string]any) { alert(m, 0)["annotations"] = map[string]any{"d": strings.Repeat("x", 70000)} }), "alerts[0].annotations.d: value longer than 65536 bytes"},
		{"NUL in a label value", mutate(t, func(m map[string]any) { alert(m, 0)["labels"] = map[string]any{"alertname": "X\x00"} }), "alerts[0].labels.alertname: contains a NUL character"},
		{"NUL in a label name", mutate(t, func(m map[string]any) { alert(m, 0)["labels"] = map[string]any{"alertname": "X", "a\x00": "v"} }), "alerts[0].labels: a name contains a NUL character"},
		{"NUL in a fingerprint", mutate(t, func(m map[string]any) { alert(m, 1)["fingerprint"] = "0f\x00" }), "alerts[1].fingerprint: contains a NUL character"},
		{"NUL in the groupKey", mutate(t, func(m map[string]any) { m["groupKey"] = "{}\x00" }), "groupKey: contains a NUL character"},
		{"lone high surrogate in a label", []byte(strings.Replace(valid, `"service": "web"`, `"service": "w\ud800b"`, 1)),
			`alerts[0].labels.service: \ud800 at byte `},
		{"lone low surrogate in an annotation", []byte(strings.Replace(valid, `"value": "0.62"`, `"value": "\uDC00"`, 1)),
			`alerts[0].annotations.value: \uDC00 at byte `},
		{"high surrogate followed by a non-surrogate", []byte(strings.Replace(valid, `"service": "web"`, `"service": "\ud83d\u0041"`, 1)),
			`alerts[0].labels.service: \ud83d at byte `},
		{"surrogate at the end of the groupKey", []byte(strings.Replace(valid, `"groupKey": "{}:`, `"groupKey": "\ud800{}:`, 1)),
			`groupKey: \ud800 at byte`},
		{"empty label name", mutate(t, func(m map[string]any) { alert(m, 0)["labels"] = map[string]any{"alertname": "X", "": "v"} }), "alerts[0].labels: empty name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.body, now, Limits{})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode error = %v, want a *webhook.Error", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

// Escapes that decode to real characters stay accepted: a surrogate pair,
// an escaped backslash before "u", and U+FFFD itself.
func TestDecodeAcceptsValidEscapes(t *testing.T) {
	for _, v := range []string{`\ud83d\ude00`, `\\ud800`, `\ufffd`, `\u00e9\"`} {
		body := strings.Replace(valid, `"service": "web"`, `"service": "`+v+`"`, 1)
		if _, err := Decode([]byte(body), now, Limits{}); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}

func TestDecodeAlertLimit(t *testing.T) {
	if _, err := Decode([]byte(valid), now, Limits{MaxAlerts: 1}); err == nil || !strings.Contains(err.Error(), "2 alerts, more than the limit of 1") {
		t.Fatalf("err = %v, want the alert limit", err)
	}
}

// FuzzDecode: no input may panic, and whatever is accepted satisfies the
// invariants the store and engine rely on.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte(`{"version":"4","groupKey":"g","receiver":"r","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A"},"fingerprint":"f","startsAt":"2025-03-01T11:00:00Z"}]}`))
	f.Add([]byte(`{"version":"4"}`))
	f.Add([]byte("\xff"))
	f.Add([]byte(`{"version":"4","groupKey":"g","receiver":"r","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A\ud800"},"fingerprint":"f","startsAt":"2025-03-01T11:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Decode(body, now, Limits{MaxAlerts: 100, MaxLabels: 20})
		if err != nil {
			return
		}
		if m.Version != Version || m.GroupKey == "" || len(m.Alerts) == 0 || len(m.Alerts) > 100 {
			t.Fatalf("accepted an invalid message: %+v", m)
		}
		for _, a := range m.Alerts {
			if a.Fingerprint == "" || a.Labels["alertname"] == "" || a.StartsAt.IsZero() || len(a.Labels) > 20 {
				t.Fatalf("accepted an invalid alert: %+v", a)
			}
			// U+FFFD in a stored value must have been sent as such, never
			// made up by the decoder from a bad byte or a lone surrogate.
			if !bytes.ContainsRune(body, utf8.RuneError) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
				for k, v := range a.Labels {
					if strings.ContainsRune(k+v, utf8.RuneError) {
						t.Fatalf("label %q=%q holds a U+FFFD the body did not", k, v)
					}
				}
			}
			if (a.Status == "firing") != a.EndsAt.IsZero() {
				t.Fatalf("status %s with endsAt %v", a.Status, a.EndsAt)
			}
			if a.StartsAt.After(now.Add(DefaultLimits.MaxFutureSkew)) || a.StartsAt.UnixNano() <= 0 {
				t.Fatalf("accepted startsAt %v", a.StartsAt)
			}
		}
	})
}
