package rollout

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/receiver/store"
)

func call(t *testing.T, srv *httptest.Server, method, path, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAPI(t *testing.T) {
	h := startHAProxy(t)
	s := openStore(t)
	r := newRunner(t, s, &fakeGates{decision: engine.Hold, reasons: []string{"no data"}}, "a")
	mux := http.NewServeMux()
	(&API{Runner: r, Store: s}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	good := string(plan(h.Socket, "[{percent: 10, observe: 1h}, {percent: 100, observe: 1h}]"))

	for name, tc := range map[string]struct {
		ct, body string
		code     int
		want     string
	}{
		"form":           {"application/x-www-form-urlencoded", good, http.StatusUnsupportedMediaType, "application/yaml"},
		"bad percent":    {"application/yaml", strings.Replace(good, "percent: 10,", "percent: 0,", 1), http.StatusBadRequest, "stages[0].percent"},
		"unknown server": {"application/yaml", strings.Replace(good, "current: [old]", "current: [olf]", 1), http.StatusBadRequest, `olf`},
		"json typo":      {"application/json", `{"gate":"go-live","stagez":[]}`, http.StatusBadRequest, "stagez"},
	} {
		code, body := call(t, srv, http.MethodPost, "/api/v1/rollouts", tc.ct, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d naming %q", name, code, body, tc.code, tc.want)
		}
	}
	if o, n := weights(t, h.Client); o != 100 || n != 0 {
		t.Fatalf("a refused plan changed the split: %d/%d", o, n)
	}

	code, body := call(t, srv, http.MethodPost, "/api/v1/rollouts", "application/yaml", good)
	if code != http.StatusCreated {
		t.Fatalf("POST: %d %s", code, body)
	}
	var v View
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID == 0 || v.State != store.RolloutRunning || len(v.Stages) != 2 || v.Stages[0].Status != "pending" {
		t.Errorf("created: %+v", v)
	}
	code, body = call(t, srv, http.MethodGet, "/api/v1/rollouts", "", "")
	if code != http.StatusOK || !strings.Contains(body, `"name": "checkout"`) {
		t.Errorf("list: %d %s", code, body)
	}
	if code, _ := call(t, srv, http.MethodGet, "/api/v1/rollouts/99", "", ""); code != http.StatusNotFound {
		t.Errorf("unknown id: %d", code)
	}
	if code, _ := call(t, srv, http.MethodGet, "/api/v1/rollouts/x", "", ""); code != http.StatusBadRequest {
		t.Errorf("bad id: %d", code)
	}
	if code, body := call(t, srv, http.MethodPost, "/api/v1/rollouts/1/resume", "application/json", "{}"); code != http.StatusConflict {
		t.Errorf("resume of a running rollout: %d %s", code, body)
	}
	if code, _ := call(t, srv, http.MethodPost, "/api/v1/rollouts/1/explode", "application/json", "{}"); code != http.StatusNotFound {
		t.Errorf("unknown action: %d", code)
	}
	if code, _ := call(t, srv, http.MethodPost, "/api/v1/rollouts/1/abort", "text/plain", ""); code != http.StatusUnsupportedMediaType {
		t.Errorf("abort as text/plain: %d", code)
	}

	// The runner takes it: the gate holds, so it pauses at stage 1 with
	// the reason; the detail shows the stage, the decision and the change.
	run(t, r)
	waitFor(t, s, v.ID, 5*time.Second, "paused", func(ro store.Rollout) bool { return ro.State == store.RolloutPaused })
	code, body = call(t, srv, http.MethodGet, "/api/v1/rollouts/1", "", "")
	if err := json.Unmarshal([]byte(body), &v); err != nil || code != http.StatusOK {
		t.Fatal(code, err)
	}
	if len(v.Decisions) != 1 || v.Decisions[0].Decision != "hold" || len(v.TrafficChanges) != 1 || v.Stages[0].Status != "observing" ||
		v.ObserveEndsAt.IsZero() || v.StagePercent != 10 || !strings.Contains(v.Reason, "no data") {
		t.Errorf("detail: %s", body)
	}
	if err := testutil.CollectAndCompare(&Collector{Store: s}, strings.NewReader(`
# HELP golive_rollout_stage_percent Share of traffic (percent) the plan's newest rollout has on the candidate: the current stage while running or paused, 100 after success, 0 after a rollback.
# TYPE golive_rollout_stage_percent gauge
golive_rollout_stage_percent{plan="checkout"} 10
`), "golive_rollout_stage_percent"); err != nil {
		t.Error(err)
	}
	if got := stateValue(t, s, "paused"); got != 1 {
		t.Errorf("state paused = %v", got)
	}
	if code, body := call(t, srv, http.MethodPost, "/api/v1/rollouts/1/abort", "application/json", "{}"); code != http.StatusAccepted {
		t.Fatalf("abort: %d %s", code, body)
	}
	waitFor(t, s, v.ID, 5*time.Second, "rolled back", func(ro store.Rollout) bool { return ro.State == store.RolloutRolledBack })
	if code, _ := call(t, srv, http.MethodPost, "/api/v1/rollouts/1/pause", "application/json", "{}"); code != http.StatusConflict {
		t.Errorf("pause after the end: %d", code)
	}
	if got := stateValue(t, s, "rolled_back"); got != 1 {
		t.Errorf("state rolled_back = %v", got)
	}
}

// stateValue is golive_rollout_state{plan="checkout",state=state}, and
// checks exactly one state is 1.
func stateValue(t *testing.T, s store.Store, state string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(&Collector{Store: s})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got, ones := 0.0, 0.0
	for _, mf := range mfs {
		if mf.GetName() != "golive_rollout_state" {
			continue
		}
		for _, m := range mf.GetMetric() {
			ones += m.GetGauge().GetValue()
			for _, l := range m.GetLabel() {
				if l.GetName() == "state" && l.GetValue() == state {
					got = m.GetGauge().GetValue()
				}
			}
		}
	}
	if ones != 1 {
		t.Errorf("%v states are 1", ones)
	}
	return got
}
