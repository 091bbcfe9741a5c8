package incident

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/golive-ops/golive/receiver/store"
)

// The default config reproduces runbook R5.2 for the generated alerts.
func TestDefaultGradingIsRunbookR52(t *testing.T) {
	cfg := testConfig()
	g, err := NewGrader(cfg.Grading, cfg.Incidents.ValueFrom)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		labels map[string]string
		value  string
		want   store.Priority
		rule   string
	}{
		{"web service down", map[string]string{"alertname": "ServiceDown", "service": "web"}, "0", store.P0, "web-tier-down"},
		{"api service down", map[string]string{"alertname": "ServiceDown", "service": "api"}, "0", store.P0, "web-tier-down"},
		{"batch service down is not web tier", map[string]string{"alertname": "ServiceDown", "service": "batch"}, "0", store.P3, DefaultRule},
		{"database down", map[string]string{"alertname": "PostgresDown", "service": "postgresql"}, "0", store.P0, "database-down"},
		{"error rate 51%", map[string]string{"alertname": "HTTPErrorRateHigh", "service": "web"}, "0.51", store.P0, "error-rate-above-50pct"},
		{"error rate exactly 50% is P1", map[string]string{"alertname": "HTTPErrorRateHigh"}, "0.5", store.P1, "error-rate-above-20pct"},
		{"error rate 21%", map[string]string{"alertname": "HTTPErrorRateHigh"}, "0.21", store.P1, "error-rate-above-20pct"},
		{"error rate 6%", map[string]string{"alertname": "HTTPErrorRateHigh"}, "0.06", store.P2, "error-rate-above-5pct"},
		{"error rate 5% exactly", map[string]string{"alertname": "HTTPErrorRateHigh"}, "0.05", store.P3, DefaultRule},
		{"error rate as percentage", map[string]string{"alertname": "HighErrorRate"}, "55%", store.P0, "error-rate-above-50pct"},
		{"latency 11s", map[string]string{"alertname": "HTTPLatencyP95High"}, "11", store.P1, "response-time-above-10s"},
		{"latency as duration", map[string]string{"alertname": "HTTPLatencyP95High"}, "10.5s", store.P1, "response-time-above-10s"},
		{"latency 6s", map[string]string{"alertname": "HTTPLatencyP95High"}, "6", store.P2, "response-time-above-5s"},
		{"latency 4s", map[string]string{"alertname": "HTTPLatencyP95High"}, "4", store.P3, DefaultRule},
		{"cpu 96%", map[string]string{"alertname": "HostCPUUsageHigh", "service": "host"}, "0.96", store.P1, "cpu-above-95pct"},
		{"cpu 90%", map[string]string{"alertname": "HostCPUUsageHigh"}, "0.9", store.P3, DefaultRule},
		{"cpu value unparseable", map[string]string{"alertname": "HostCPUUsageHigh"}, "lots", store.P3, DefaultRule},
		{"memory high", map[string]string{"alertname": "HostMemoryUsageHigh"}, "0.99", store.P3, DefaultRule},
		{"value in a label wins", map[string]string{"alertname": "HTTPErrorRateHigh", "value": "0.9"}, "0.06", store.P0, "error-rate-above-50pct"},
		{"failing web health probe is the web tier down", map[string]string{"alertname": "ProbeFailed", "service": "web", "priority": "P1"}, "0", store.P0, "web-tier-down"},
		// Past the runbook's rules, the priority `golive generate` put on
		// the alert decides; a bogus one falls back to the default.
		{"memory high with its rule's priority", map[string]string{"alertname": "HostMemoryUsageHigh", "priority": "P1"}, "0.99", store.P1, AlertLabelRule},
		{"probe failure with its rule's priority", map[string]string{"alertname": "ProbeFailed", "service": "probe", "priority": "P1"}, "0", store.P1, AlertLabelRule},
		{"a runbook rule beats the alert's priority", map[string]string{"alertname": "HTTPErrorRateHigh", "priority": "P2"}, "0.6", store.P0, "error-rate-above-50pct"},
		{"an invalid priority label is ignored", map[string]string{"alertname": "X", "priority": "P9"}, "0", store.P3, DefaultRule},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, r := g.Grade(c.labels, map[string]string{"value": c.value})
			if p != c.want || r.Rule != c.rule {
				t.Fatalf("Grade = %s by %q, want %s by %q", p, r.Rule, c.want, c.rule)
			}
			if r.Rule != DefaultRule && len(r.Matched) == 0 {
				t.Fatal("a matching rule must record the values it matched")
			}
		})
	}
}

func TestGradeReasonRecordsValue(t *testing.T) {
	cfg := testConfig()
	g, _ := NewGrader(cfg.Grading, cfg.Incidents.ValueFrom)
	_, r := g.Grade(map[string]string{"alertname": "HTTPErrorRateHigh", "service": "web"}, map[string]string{"value": "0.62"})
	if r.Value == nil || *r.Value != 0.62 || r.Matched["annotations.value"] != "0.62" || r.Matched["labels.alertname"] != "HTTPErrorRateHigh" {
		t.Fatalf("reason = %+v", r)
	}
}

func TestParseValue(t *testing.T) {
	cases := map[string]float64{"0.5": 0.5, " 12 ": 12, "97%": 0.97, "1e2": 100, "1m30s": 90, "250ms": 0.25}
	for in, want := range cases {
		if got, err := ParseValue(in); err != nil || got != want {
			t.Errorf("ParseValue(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "NaN", "Inf", "high", "5 s"} {
		if _, err := ParseValue(bad); err == nil {
			t.Errorf("ParseValue(%q) accepted", bad)
		}
	}
}

func TestGroupKey(t *testing.T) {
	g := NewGrouping([]string{"alertname", "service|instance"})
	cases := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"alertname": "A", "service": "web", "instance": "h:1"}, "alertname=A,service=web"},
		{map[string]string{"alertname": "A", "instance": "h:1"}, "alertname=A,instance=h:1"},
		{map[string]string{"alertname": "A"}, "alertname=A,service="},
		{map[string]string{"alertname": "A", "service": `x,service=y`}, `alertname=A,service="x,service=y"`},
	}
	for _, c := range cases {
		if got, _ := g.Key(c.labels); got != c.want {
			t.Errorf("Key(%v) = %q, want %q", c.labels, got, c.want)
		}
	}
	// Long values (a probed URL) keep the key short enough for a PostgreSQL
	// index, valid UTF-8 where the cut falls, and distinct per value.
	long := func(last string) map[string]string {
		return map[string]string{"alertname": "A", "instance": "https://example.org/" + strings.Repeat("é", 3000) + last}
	}
	k1, _ := g.Key(long("1"))
	k2, _ := g.Key(long("2"))
	if len(k1) > maxKeyBytes || !utf8.ValidString(k1) || k1 == k2 || !strings.HasPrefix(k1, "alertname=A,instance=https://example.org/é") {
		t.Errorf("long keys: %q (%d bytes) and %q", k1, len(k1), k2)
	}
	if again, _ := g.Key(long("1")); again != k1 {
		t.Errorf("the same labels gave %q, then %q", k1, again)
	}
}
