package gate

import (
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/yamlx"
)

// decodeSection decodes as the receiver's config loader does: the section
// strictly, then Validate, whose field-led errors the document locates.
func decodeSection(doc string) (Section, error) {
	var s Section
	d, err := yamlx.Parse([]byte(doc))
	if err != nil {
		return s, err
	}
	if err := d.Decode(&s); err != nil {
		return s, err
	}
	return s, d.Locate(s.Validate())
}

func TestConfigErrors(t *testing.T) {
	const prom = "prometheus: {url: http://127.0.0.1:9090}\n"
	for _, tt := range []struct{ doc, want string }{
		{"prometheus: {url: http://p:9090, timout: 5s}\n", "line 1: prometheus.timout: unknown field (did you mean timeout?)"},
		{"prometheus: {url: 'ftp://p'}\n", "line 1: prometheus.url: invalid Prometheus URL"},
		{"prometheus: {url: http://p:9090, timeout: 2m}\n", "line 1: prometheus.timeout: 2m must be between 0 and 1m"},
		{"prometheus: {url: http://p:9090, http_config: {bearer_token: a, bearer_token_file: b}}\n", "at most one of bearer_token & bearer_token_file"},
		{prom + "gates:\n  - name: go-live\n    chekcs: []\n", "line 4: gates[0].chekcs: unknown field (did you mean checks?)"},
		{prom + "gates:\n  - name: go-live\n    checks:\n      - {name: cpu, query: 'rate(x[5m]', op: '>', threshold: 1}\n",
			"line 5: gates[0].checks[0].query: bad PromQL \"rate(x[5m]\""},
		{prom + "gates:\n  - name: go-live\n    checks:\n      - {name: cpu, query: 'x[5m]', op: '>', threshold: 1}\n",
			"gates[0].checks[0].query: PromQL \"x[5m]\" returns a matrix"},
		{prom + "gates:\n  - name: go-live\n    checks:\n      - {name: cpu, query: x, op: '=>', threshold: 1}\n",
			`line 5: gates[0].checks[0].op: "=>" is not one of`},
		{prom + "gates:\n  - name: go-live\n    checks:\n      - {name: cpu, query: x, op: '>'}\n",
			"line 5: gates[0].checks[0].threshold: a threshold is required"},
		{prom + "gates:\n  - name: go-live\n    checks:\n      - {name: cpu, query: x, op: '>', threshold: .nan}\n",
			"gates[0].checks[0].threshold: NaN is not a finite number"},
		{prom + "gates:\n  - name: go-live\n    checks:\n      - {name: cpu, query: x, op: '>', threshold: high}\n", `line 5: gates[0].checks[0].threshold: "high" is not a number`},
		{prom + "gates:\n  - name: go-live\n    checks:\n      - {name: cpu, query: x, op: '>', threshold: 1, on_breach: abort}\n",
			`gates[0].checks[0].on_breach: "abort" is not hold or rollback`},
		{prom + "gates:\n  - name: go-live\n    checks:\n      - {name: cpu, query: x, op: '>', threshold: 1}\n      - {name: cpu, query: y, op: '>', threshold: 1}\n",
			`line 6: gates[0].checks[1].name: check "cpu" is defined twice`},
		{prom + "gates:\n  - name: go-live\n    alerts: ['severity=~\"crit']\n", "line 4: gates[0].alerts: [0]:"},
		{prom + "gates:\n  - name: go-live\n    incidents: {at_or_above: P5}\n", `gates[0].incidents.at_or_above: "P5" is not one of P0, P1, P2, P3`},
		{prom + "gates:\n  - name: argo\n", `gates[0].name: "argo" must be`},
		{prom + "gates:\n  - name: 'go live'\n", `gates[0].name: "go live" must be`},
		{prom + "gates:\n  - name: a\n  - name: a\n", `line 4: gates[1].name: gate "a" is defined twice`},
		{prom + "gates:\n  - name: a\n    consecutive: -1\n", "gates[0].consecutive: -1 is negative"},
		{prom + "gates:\n  - name: a\n    checks: [{name: cpu, query: x, op: '>', threshold: 1}]\n    min_traffic: {query: r, threshold: 1}\n",
			"gates[0].min_traffic: no check has needs_traffic: true"},
		{prom + "gates:\n  - name: a\n    checks: [{name: e, query: x, op: '>', threshold: 1, needs_traffic: true}]\n    min_traffic: {query: 'sum(', threshold: 1}\n",
			"gates[0].min_traffic.query: bad PromQL"},
		{"gates:\n  - name: a\n    checks: [{name: e, query: x, op: '>', threshold: 1}]\n", "line 3: gates[0].checks: checks need a prometheus section"},
	} {
		_, err := decodeSection(tt.doc)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s\ngot  %v\nwant %s", tt.doc, err, tt.want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	s, err := decodeSection("prometheus: {url: http://p:9090}\ngates:\n  - name: a\n    checks: [{name: cpu, query: x, op: '>', threshold: 0.8}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Gates[0].Checks[0].OnBreach; got != "hold" {
		t.Errorf("on_breach default %q, want hold", got)
	}
	if s.Gates[0].MinInterval.String() != "5s" || s.Prometheus.Timeout.String() != "5s" || !s.Prometheus.HTTPConfig.FollowRedirects {
		t.Errorf("defaults: min_interval %s timeout %s follow_redirects %v", s.Gates[0].MinInterval, s.Prometheus.Timeout, s.Prometheus.HTTPConfig.FollowRedirects)
	}
}

func FuzzSection(f *testing.F) {
	f.Add("prometheus: {url: http://p:9090}\ngates:\n  - name: a\n    checks: [{name: cpu, query: 'max(x)', op: '>', threshold: 0.8}]\n")
	f.Add("gates:\n  - name: a\n    alerts: ['severity=\"critical\"']\n    incidents: {at_or_above: P1}\n")
	f.Add("prometheus: {url: 'http://u:p@h', http_config: {tls_config: {insecure_skip_verify: true}}}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		s, err := decodeSection(doc)
		if err != nil {
			return
		}
		for _, g := range s.Gates {
			_ = g.spec() // a valid section always builds an engine spec
		}
	})
}

func FuzzFlaggerPayload(f *testing.F) {
	f.Add(`{"name":"podinfo","namespace":"test","phase":"Progressing","checksum":"85d557f47b","metadata":{"gate":"go-live","token":"t"}}`)
	f.Add(`{"metadata":{"gate":"nope"}}`)
	f.Add(`[`)
	fx := newFixture(f, nil)
	f.Fuzz(func(t *testing.T, body string) {
		code, _ := fx.do(t, "POST", "/api/v1/gates/flagger/proceed?gate=go-live", body)
		switch code {
		case 200, 400, 401, 403, 404:
		default:
			t.Fatalf("status %d for %q", code, body)
		}
	})
}
