package gate

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// fakeEvidence answers from maps; a query missing from values is no data.
type fakeEvidence struct {
	alerts    []Alert
	alertsErr error
	incidents []Incident
	incErr    error
	values    map[string][]float64
	errs      map[string]error
	readiness Readiness
	readyErr  error
}

func (f *fakeEvidence) FiringAlerts(context.Context) ([]Alert, error) { return f.alerts, f.alertsErr }
func (f *fakeEvidence) OpenIncidents(context.Context) ([]Incident, error) {
	return f.incidents, f.incErr
}
func (f *fakeEvidence) Readiness(context.Context) (Readiness, error) { return f.readiness, f.readyErr }
func (f *fakeEvidence) Query(_ context.Context, q string) ([]Sample, error) {
	if err := f.errs[q]; err != nil {
		return nil, err
	}
	var out []Sample
	for _, v := range f.values[q] {
		out = append(out, Sample{Value: v})
	}
	return out, nil
}

func runbookSpec() Spec {
	return Spec{
		Name: "go-live", Alerts: true, IncidentsAtOrAbove: "P1", Consecutive: 1,
		Checks: []Check{
			{Name: "error_rate", Query: "err", Op: ">", Threshold: 0.05, OnBreach: Rollback, NeedsTraffic: true},
			{Name: "avg_response_seconds", Query: "lat", Op: ">", Threshold: 3, NeedsTraffic: true},
			{Name: "cpu", Query: "cpu", Op: ">", Threshold: 0.8},
			{Name: "memory", Query: "mem", Op: ">", Threshold: 0.85},
		},
		MinTraffic: &MinTraffic{Query: "rps", Threshold: 1},
	}
}

func healthy() *fakeEvidence {
	return &fakeEvidence{values: map[string][]float64{
		"err": {0.01}, "lat": {0.2}, "cpu": {0.3, 0.5}, "mem": {0.4}, "rps": {3, 4},
	}}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		spec   func(*Spec)
		ev     func(*fakeEvidence)
		prev   map[string]int
		want   Decision
		reason string // a substring of one reason ("" for none expected)
	}{
		{name: "all healthy proceeds", want: Proceed},
		{name: "critical alert rolls back", ev: func(f *fakeEvidence) {
			f.alerts = []Alert{{AlertName: "HTTPErrorRateHigh", Severity: "critical"}}
		}, want: Rollback, reason: "alert HTTPErrorRateHigh (critical) is firing"},
		{name: "emergency alert rolls back", ev: func(f *fakeEvidence) {
			f.alerts = []Alert{{AlertName: "ServiceDown", Severity: "emergency"}}
		}, want: Rollback, reason: "ServiceDown"},
		{name: "warning alert holds", ev: func(f *fakeEvidence) {
			f.alerts = []Alert{{AlertName: "HostCPUUsageHigh", Severity: "Warning"}}
		}, want: Hold, reason: "hold: alert HostCPUUsageHigh (warning) is firing"},
		{name: "info alert is reported, not deciding", ev: func(f *fakeEvidence) {
			f.alerts = []Alert{{AlertName: "Info", Severity: "info"}}
		}, want: Proceed},
		{name: "alerts ignored when the gate has no matchers", spec: func(s *Spec) { s.Alerts = false }, ev: func(f *fakeEvidence) {
			f.alerts = []Alert{{AlertName: "X", Severity: "critical"}}
		}, want: Proceed},
		{name: "alerts unreadable holds", ev: func(f *fakeEvidence) { f.alertsErr = errors.New("storage unavailable") },
			want: Hold, reason: "firing alerts unavailable: storage unavailable"},
		{name: "P1 incident rolls back", ev: func(f *fakeEvidence) {
			f.incidents = []Incident{{ID: 7, Priority: "P1", Title: "checkout errors"}}
		}, want: Rollback, reason: "incident #7 (P1) is open: checkout errors"},
		{name: "P0 incident rolls back", ev: func(f *fakeEvidence) {
			f.incidents = []Incident{{ID: 8, Priority: "P0"}}
		}, want: Rollback, reason: "#8"},
		{name: "P2 incident below the floor does not decide", ev: func(f *fakeEvidence) {
			f.incidents = []Incident{{ID: 9, Priority: "P2"}}
		}, want: Proceed},
		{name: "incidents unreadable holds", ev: func(f *fakeEvidence) { f.incErr = errors.New("down") }, want: Hold, reason: "open incidents unavailable"},
		{name: "error rate breach rolls back (on_breach rollback)", ev: func(f *fakeEvidence) { f.values["err"] = []float64{0.062} },
			want: Rollback, reason: "rollback: error_rate 0.062 > 0.05"},
		{name: "latency breach holds (on_breach default)", ev: func(f *fakeEvidence) { f.values["lat"] = []float64{3.4} },
			want: Hold, reason: "hold: avg_response_seconds 3.4 > 3"},
		{name: "at the threshold is no breach", ev: func(f *fakeEvidence) { f.values["cpu"] = []float64{0.8} }, want: Proceed},
		{name: "worst series decides", ev: func(f *fakeEvidence) { f.values["mem"] = []float64{0.2, 0.9, 0.3} },
			want: Hold, reason: "memory 0.9 > 0.85"},
		{name: "less-than check judges the lowest series", spec: func(s *Spec) {
			s.Checks = append(s.Checks, Check{Name: "availability", Query: "avail", Op: "<", Threshold: 0.99, OnBreach: Rollback})
		}, ev: func(f *fakeEvidence) { f.values["avail"] = []float64{0.999, 0.95} }, want: Rollback, reason: "availability 0.95 < 0.99"},
		{name: "no data holds", ev: func(f *fakeEvidence) { delete(f.values, "cpu") }, want: Hold, reason: "hold: cpu: no data"},
		{name: "NaN only is no data", ev: func(f *fakeEvidence) { f.values["mem"] = []float64{math.NaN()} }, want: Hold, reason: "memory: no data"},
		{name: "query error holds", ev: func(f *fakeEvidence) {
			f.errs = map[string]error{"cpu": errors.New("Prometheus at http://p:9090 unreachable")}
		}, want: Hold, reason: "cpu: query failed: Prometheus at http://p:9090 unreachable"},
		{name: "Prometheus down everywhere holds, never proceeds", ev: func(f *fakeEvidence) {
			down := errors.New("unreachable")
			f.errs = map[string]error{"err": down, "lat": down, "cpu": down, "mem": down, "rps": down}
		}, want: Hold, reason: "hold: error_rate, avg_response_seconds, cpu, memory: query failed: unreachable"},
		{name: "low traffic holds ratio checks", ev: func(f *fakeEvidence) { f.values["rps"] = []float64{0.2, 0.3} },
			want: Hold, reason: "error_rate: not enough traffic (0.5 < 1)"},
		{name: "low traffic hides a ratio breach from rollback", ev: func(f *fakeEvidence) {
			f.values["rps"] = []float64{0.1}
			f.values["err"] = []float64{0.5}
		}, want: Hold, reason: "not enough traffic"},
		{name: "low traffic does not excuse a CPU breach", ev: func(f *fakeEvidence) {
			f.values["rps"] = []float64{0.1}
			f.values["cpu"] = []float64{0.95}
		}, want: Hold, reason: "cpu 0.95 > 0.8"},
		{name: "no traffic data holds ratio checks", ev: func(f *fakeEvidence) { delete(f.values, "rps") },
			want: Hold, reason: "not enough traffic (no data)"},
		{name: "observe-only breach never decides", spec: func(s *Spec) { s.Checks[0].ObserveOnly = true },
			ev: func(f *fakeEvidence) { f.values["err"] = []float64{0.9} }, want: Proceed},
		{name: "observe-only no data never decides", spec: func(s *Spec) { s.Checks[2].ObserveOnly = true },
			ev: func(f *fakeEvidence) { delete(f.values, "cpu") }, want: Proceed},
		{name: "first of three breaches holds", spec: func(s *Spec) { s.Consecutive = 3 },
			ev: func(f *fakeEvidence) { f.values["err"] = []float64{0.2} }, want: Hold, reason: "(breach 1 of 3 in a row)"},
		{name: "third breach in a row rolls back", spec: func(s *Spec) { s.Consecutive = 3 }, prev: map[string]int{"error_rate": 2},
			ev: func(f *fakeEvidence) { f.values["err"] = []float64{0.2} }, want: Rollback, reason: "rollback: error_rate 0.2 > 0.05"},
		{name: "rollback beats hold", ev: func(f *fakeEvidence) {
			f.values["lat"] = []float64{5}
			f.alerts = []Alert{{AlertName: "A", Severity: "critical"}}
		}, want: Rollback, reason: "hold: avg_response_seconds 5 > 3"},
		{name: "readiness required and missing holds", spec: func(s *Spec) { s.RequireReadiness = true }, want: Hold, reason: "no readiness report yet"},
		{name: "readiness not ready holds", spec: func(s *Spec) { s.RequireReadiness = true },
			ev: func(f *fakeEvidence) { f.readiness = Readiness{Known: true, Summary: "2 of 31 items fail"} }, want: Hold, reason: "not ready: 2 of 31 items fail"},
		{name: "readiness not ready holds on each failing item", spec: func(s *Spec) { s.RequireReadiness = true },
			ev: func(f *fakeEvidence) {
				f.readiness = Readiness{Known: true, Summary: "2 failed", Failing: []string{"db: pg_up 0", "training: not signed off"}}
			}, want: Hold, reason: "not ready: training: not signed off"},
		{name: "readiness ready proceeds", spec: func(s *Spec) { s.RequireReadiness = true },
			ev: func(f *fakeEvidence) { f.readiness = Readiness{Known: true, Ready: true} }, want: Proceed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := runbookSpec()
			if tt.spec != nil {
				tt.spec(&spec)
			}
			ev := healthy()
			if tt.ev != nil {
				tt.ev(ev)
			}
			got := Evaluate(context.Background(), spec, ev, tt.prev)
			if got.Decision != tt.want {
				t.Fatalf("decision = %s, want %s; reasons %q", got.Decision, tt.want, got.Reasons)
			}
			if tt.want == Proceed && len(got.Reasons) != 0 {
				t.Errorf("proceed with reasons %q", got.Reasons)
			}
			if tt.reason != "" && !strings.Contains(strings.Join(got.Reasons, "\n"), tt.reason) {
				t.Errorf("reasons %q do not say %q", got.Reasons, tt.reason)
			}
			if len(got.Checks) != len(spec.Checks) {
				t.Errorf("%d check results for %d checks", len(got.Checks), len(spec.Checks))
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("result does not encode: %v", err)
			}
		})
	}
}

func TestStreaks(t *testing.T) {
	spec := runbookSpec()
	spec.Consecutive = 2
	ev := healthy()
	ev.values["err"] = []float64{0.3}
	first := Evaluate(context.Background(), spec, ev, nil)
	if first.Decision != Hold || first.Checks[0].Streak != 1 || first.Checks[0].Status != StatusPending {
		t.Fatalf("first breach: %s, check %+v", first.Decision, first.Checks[0])
	}
	// No data keeps the streak: an outage between two breaches does not
	// reset the count.
	delete(ev.values, "err")
	gap := Evaluate(context.Background(), spec, ev, first.Streaks())
	if gap.Checks[0].Streak != 1 {
		t.Fatalf("no data changed the streak to %d", gap.Checks[0].Streak)
	}
	ev.values["err"] = []float64{0.3}
	second := Evaluate(context.Background(), spec, ev, gap.Streaks())
	if second.Decision != Rollback || second.Checks[0].Status != StatusBreached {
		t.Fatalf("second breach: %s %+v", second.Decision, second.Checks[0])
	}
	ev.values["err"] = []float64{0.01}
	ok := Evaluate(context.Background(), spec, ev, second.Streaks())
	if ok.Decision != Proceed || ok.Checks[0].Streak != 0 {
		t.Fatalf("recovery: %s streak %d", ok.Decision, ok.Checks[0].Streak)
	}
}

func TestResultJSON(t *testing.T) {
	ev := healthy()
	ev.values["lat"] = []float64{math.Inf(1)}
	res := Evaluate(context.Background(), runbookSpec(), ev, nil)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"decision":"hold"`, `"value":"+Inf"`, `"alerts":[]`, `"incidents":[]`,
		`{"name":"error_rate","query":"err","op":"\u003e","threshold":0.05,"value":0.01,"series":1,"breached":false`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if v := back.Checks[1].Value; v == nil || !math.IsInf(float64(*v), 1) {
		t.Errorf("+Inf did not round-trip: %v", v)
	}
}

func TestParseOp(t *testing.T) {
	for _, s := range []string{">", ">=", "<", "<=", "==", "!="} {
		if _, err := ParseOp(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseOp("=>"); err == nil || !strings.Contains(err.Error(), `"=>" is not one of`) {
		t.Errorf("=> accepted or unclear: %v", err)
	}
}
