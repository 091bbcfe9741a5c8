package readiness

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startPrometheus runs a real Prometheus scraping a live target (job app)
// and a dead one (job dead), with the generated rule files loaded; it
// returns once both targets have been scraped.
func startPrometheus(t *testing.T) string {
	t.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "# TYPE demo gauge\ndemo 1")
	}))
	t.Cleanup(app.Close)
	rules, err := filepath.Abs(filepath.Join("..", "..", "rules"))
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Appendf(nil, `global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%s/*.rules.yml]
scrape_configs:
  - job_name: app
    static_configs: [{targets: [%s]}]
  - job_name: dead
    static_configs: [{targets: ["127.0.0.1:1"]}]
`, rules, strings.TrimPrefix(app.URL, "http://"))
	url := testenv.Prometheus(t, testenv.PrometheusOptions{Config: string(config)})
	ctx := testenv.Context(t, time.Minute)
	for {
		var resp struct {
			Data struct {
				ActiveTargets []struct{ Health string } `json:"activeTargets"`
			} `json:"data"`
		}
		if r, err := http.Get(url + "/api/v1/targets"); err == nil {
			_ = json.NewDecoder(r.Body).Decode(&resp)
			r.Body.Close()
			scraped := 0
			for _, tg := range resp.Data.ActiveTargets {
				if tg.Health != "unknown" {
					scraped++
				}
			}
			if scraped == 2 {
				return url
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("prometheus did not scrape both targets within a minute")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func TestPrometheusItemsAgainstRealPrometheus(t *testing.T) {
	url := startPrometheus(t)
	c := checklistT(t, fmt.Sprintf(`
prometheus: {url: %s}
items:
  - {name: app-up, prometheus_targets: {jobs: [app]}}
  - {name: dead-up, prometheus_targets: {jobs: [dead]}}
  - {name: all-up, prometheus_targets: {}}
  - {name: missing-job, prometheus_targets: {jobs: [web]}}
  - {name: rules-generated, prometheus_rules: {files: [%s]}}
  - {name: rules-missing, prometheus_rules: {groups: [golive-host, golive-nope]}}
`, url, filepath.Join(mustAbs(t, "../../rules"), "*.rules.yml")), "")
	_, res := runT(t, c, nil)
	wantStatus(t, res, "app-up", StatusPass, "app 1/1 up")
	wantStatus(t, res, "dead-up", StatusFail, "targets down: dead/127.0.0.1:1")
	wantStatus(t, res, "all-up", StatusFail, "dead/127.0.0.1:1")
	wantStatus(t, res, "missing-job", StatusFail, "no targets for job web")
	wantStatus(t, res, "rules-generated", StatusPass, "groups loaded")
	wantStatus(t, res, "rules-missing", StatusFail, "rule groups not loaded: golive-nope")
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// An unreachable Prometheus is "could not evaluate", with that reason.
func TestUnreachablePrometheusCannotEvaluate(t *testing.T) {
	c := checklistT(t, fmt.Sprintf("prometheus: {url: http://%s}\nitems:\n  - {name: collecting, prometheus_targets: {}}\n", freeAddr(t)), "")
	r, res := runT(t, c, nil)
	wantStatus(t, res, "collecting", StatusError, "is not reachable")
	if r.Outcome(false) != CannotEvaluate {
		t.Errorf("outcome %d, want could not evaluate", r.Outcome(false))
	}
}

// Alertmanager's /api/v2/status carries its config; the shipped one routes
// to the receiver. A fake Alertmanager serves it, and one that routes
// elsewhere.
func TestAlertmanagerRoutesToReceiver(t *testing.T) {
	shipped, err := os.ReadFile("../../deploy/alertmanager/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	serve := func(original string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v2/status" {
				http.NotFound(w, r)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"config": map[string]string{"original": original}, "cluster": map[string]string{"status": "ready"}})
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	good := serve(string(shipped))
	elsewhere := serve("route: {receiver: null}\nreceivers:\n  - name: 'null'\n  - name: golive\n    webhook_configs: [{url: 'http://127.0.0.1:9470/api/v1/alertmanager'}]\n")
	hidden := serve("route: {receiver: golive}\nreceivers:\n  - name: golive\n    webhook_configs: [{url: <secret>}]\n")
	for _, tc := range []struct {
		url    string
		status Status
		reason string
	}{
		{good, StatusPass, `receiver "golive" sends to http://127.0.0.1:9470/api/v1/alertmanager`},
		{elsewhere, StatusFail, "no route sends to it"},
		{hidden, StatusPass, "route tree uses it"},
	} {
		c := checklistT(t, fmt.Sprintf("receiver: {url: http://127.0.0.1:9470}\nalertmanager: {url: %s}\nitems:\n  - {name: routed, alertmanager: {}}\n", tc.url), "")
		_, res := runT(t, c, nil)
		wantStatus(t, res, "routed", tc.status, tc.reason)
	}
}

// A fake Grafana that has all generated dashboards but one.
func TestGrafanaDashboards(t *testing.T) {
	var asked []string
	var mu sync.Mutex
	grafana := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid, ok := strings.CutPrefix(r.URL.Path, "/api/dashboards/uid/")
		mu.Lock()
		asked = append(asked, uid)
		mu.Unlock()
		if !ok || uid == "golive-redis" || r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Dashboard not found"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"dashboard": map[string]string{"uid": uid, "title": "T " + uid}})
	}))
	defer grafana.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := checklistT(t, fmt.Sprintf(`grafana:
  url: %s
  http_config: {authorization: {credentials_file: %s}}
items:
  - {name: dashboards, grafana_dashboards: {files: [%s/*.json]}}
  - {name: overview, grafana_dashboards: {uids: [golive-overview]}}
`, grafana.URL, tokenFile, mustAbs(t, "../../dashboards")), "")
	_, res := runT(t, c, nil)
	wantStatus(t, res, "dashboards", StatusFail, "dashboards missing from Grafana: golive-redis")
	wantStatus(t, res, "overview", StatusPass, "golive-overview (T golive-overview)")
	if strings.Contains(fmt.Sprint(res), "s3cret") {
		t.Error("the Grafana token is in the report")
	}
}
