package rollout

import (
	"strings"
	"testing"
	"time"
)

const validHAProxyPlan = `
gate: go-live
traffic:
  haproxy: {address: "unix:/run/haproxy/admin.sock", backend: app, current: [old], candidate: [new]}
stages: [{percent: 10, observe: 30m}, {percent: 30, observe: 60m}, {percent: 100, observe: 2h}]
poll: 30s
notify: [ops-email]
`

func TestParseValidPlans(t *testing.T) {
	p, err := Parse(strings.NewReader(validHAProxyPlan))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "go-live" {
		t.Errorf("name defaults to the gate: %q", p.Name)
	}
	steps := p.Steps()
	if len(steps) != 3 || steps[1].Percent != 30 || steps[1].Observe != time.Hour || steps[2].Observe != 2*time.Hour {
		t.Fatalf("steps = %+v", steps)
	}
	if s := steps[0].String(); s != "stage 1 (10%)" {
		t.Errorf("step name %q", s)
	}

	batches := `
gate: go-live
users:
  select: {method: GET, url: "http://127.0.0.1:1/users?group={{urlquery .Batch}}"}
  route: {url: "http://127.0.0.1:1/route", body: '{"users": {{json .Users}}, "to": {{json .Target}}}'}
batches:
  - {name: it, observe: 30m, thresholds: {error_rate: 0.10}}
  - {name: managers, observe: 60m, thresholds: {error_rate: 0.05}}
  - {name: sales, observe: 120m, thresholds: {error_rate: 0.03}}
  - {name: others, observe: 180m, thresholds: {error_rate: 0.02}}
`
	p, err = Parse(strings.NewReader(batches))
	if err != nil {
		t.Fatal(err)
	}
	steps = p.Steps()
	if len(steps) != 4 || steps[0].Batch != "it" || steps[0].Thresholds["error_rate"] != 0.10 || steps[3].Observe != 3*time.Hour {
		t.Fatalf("steps = %+v", steps)
	}
	if p.Users.Select.Method != "GET" || p.Users.Route.Method != "POST" {
		t.Errorf("methods: %q %q", p.Users.Select.Method, p.Users.Route.Method)
	}
}

func TestParseInvalidPlans(t *testing.T) {
	for _, tc := range []struct{ name, plan, want string }{
		{"unknown key", validHAProxyPlan + "stagse: []\n", `stagse: unknown field (did you mean stages?)`},
		{"second document", validHAProxyPlan + "---\ngate: x\n", "a second YAML document starts here"},
		{"no gate", strings.Replace(validHAProxyPlan, "gate: go-live", "", 1), "gate: required"},
		{"percent above 100", strings.Replace(validHAProxyPlan, "percent: 100", "percent: 150", 1), "stages[2].percent: 150 is outside 0-100"},
		{"percent zero", strings.Replace(validHAProxyPlan, "percent: 10,", "percent: 0,", 1), "stages[0].percent: 0 is outside 0-100"},
		{"going down", strings.Replace(validHAProxyPlan, "percent: 30", "percent: 5", 1), "stages[1].percent: 5 does not go up from the previous stage's 10"},
		{"not ending at 100", strings.Replace(validHAProxyPlan, ", {percent: 100, observe: 2h}", "", 1), "the last stage is 30; a rollout ends at 100"},
		{"no observe", strings.Replace(validHAProxyPlan, "observe: 60m", "observe: 0s", 1), "stages[1].observe: required"},
		{"bad duration", strings.Replace(validHAProxyPlan, "observe: 60m", "observe: 60x", 1), "60x"},
		{"no stages", strings.Replace(validHAProxyPlan, "stages: [{percent: 10, observe: 30m}, {percent: 30, observe: 60m}, {percent: 100, observe: 2h}]", "", 1), "stages: at least one stage"},
		{"bad backend", strings.Replace(validHAProxyPlan, "backend: app", "backend: 'app;shutdown'", 1), `traffic.haproxy.backend: "app;shutdown" is not a valid HAProxy backend name`},
		{"server twice", strings.Replace(validHAProxyPlan, "candidate: [new]", "candidate: [old]", 1), `traffic.haproxy.candidate[0]: "old" is also in current`},
		{"no candidate", strings.Replace(validHAProxyPlan, "candidate: [new]", "candidate: []", 1), "traffic.haproxy.candidate: at least one server"},
		{"bad address", strings.Replace(validHAProxyPlan, `"unix:/run/haproxy/admin.sock"`, `"tcp:nowhere"`, 1), "traffic.haproxy.address"},
		{"no driver", "gate: g\ntraffic: {}\nstages: [{percent: 100, observe: 1m}]\n", "traffic: a driver is required"},
		{"both", "gate: g\ntraffic: {http: {url: 'http://x/'}}\nusers: {select: {url: 'http://x/'}, route: {url: 'http://x/'}}\nstages: [{percent: 100, observe: 1m}]\n", "not both"},
		{"bad url", "gate: g\ntraffic: {http: {url: 'ftp://x/'}}\nstages: [{percent: 100, observe: 1m}]\n", "traffic.http.url: \"ftp://x/\" is not an http(s) URL"},
		{"secret header", "gate: g\ntraffic: {http: {url: 'http://x/', headers: {authorization: 'Bearer s3cret'}}}\nstages: [{percent: 100, observe: 1m}]\n", "Authorization is a secret"},
		{"bad template", "gate: g\ntraffic: {http: {url: 'http://x/', body: '{{.Percent'}}\nstages: [{percent: 100, observe: 1m}]\n", "traffic.http.body"},
		{"bad status", "gate: g\ntraffic: {http: {url: 'http://x/', success_codes: [2000]}}\nstages: [{percent: 100, observe: 1m}]\n", "traffic.http.success_codes[0]: 2000 is not an HTTP status code"},
		{"duplicate batch", "gate: g\nusers: {select: {url: 'http://x/'}, route: {url: 'http://x/'}}\nbatches: [{name: it, observe: 1m}, {name: it, observe: 1m}]\n", `batches[1].name: "it" is also batches[0]`},
		{"poll too short", validHAProxyPlan + "name: x\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.plan))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(validHAProxyPlan)
	f.Add("gate: g\nusers: {select: {url: 'http://x/'}, route: {url: 'http://x/'}}\nbatches: [{name: it, observe: 1m}]\n")
	f.Add("stages: [{percent: .nan}]")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		// Whatever parses is a plan the runner can walk.
		if p.Gate == "" || len(p.Steps()) == 0 {
			t.Fatalf("accepted a plan without a gate or steps: %+v", p)
		}
	})
}
