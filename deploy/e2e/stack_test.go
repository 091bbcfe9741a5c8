package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/testenv"
)

// Timing of the chain. Prometheus scrapes and evaluates every second, alert
// `for` durations are cut to fastFor, and the Alertmanagers group for a
// second, so a probe failure reaches the webhook within seconds.
const (
	fastFor      = 2 * time.Second
	startTimeout = 30 * time.Second
	// alertTimeout bounds each trip of an alert through the chain: from the
	// target changing to the webhook (scrape 1s + for 2s + evaluation 1s +
	// group_wait 1s, plus room for a loaded machine).
	alertTimeout = 45 * time.Second
	// webService is the service the switchable target stands for.
	webService = "web"
	// probeAlert is the generated alert a failing probe fires.
	probeAlert = "ProbeFailed"
)

// target is an in-test stand-in for a web service's health endpoint.
type target struct {
	srv     *httptest.Server
	failing atomic.Bool
}

func newTarget(t *testing.T) *target {
	tg := &target{}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if tg.failing.Load() {
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	tg.srv = httptest.NewServer(mux)
	t.Cleanup(tg.srv.Close)
	return tg
}

func (tg *target) url() string { return tg.srv.URL + "/healthz" }

// stack is the exporter → Prometheus → Alertmanager pair part of the chain;
// the webhook it delivers to is the caller's.
type stack struct {
	dir          string
	target       *target
	exporter     *proc
	exporterAddr string
	prometheus   *proc
	promURL      string
	ams          []*proc
	amURLs       []string
	// alerts names the generated alerts Prometheus loaded.
	alerts []string
}

// procs lists the processes that must stay up while the test waits.
func (s *stack) procs() []*proc {
	return append([]*proc{s.exporter, s.prometheus}, s.ams...)
}

// startStack starts the exporter probing a fresh target, Prometheus with
// the generated rules, and two clustered Alertmanagers delivering to the
// shipped webhook URL on webhookPort. It returns once Prometheus has
// scraped the target healthy and the Alertmanager cluster has formed.
func startStack(t *testing.T, webhookPort string) *stack {
	t.Helper()
	promBin := testenv.Tool(t, "PROMETHEUS", "prometheus")
	amBin := testenv.Tool(t, "ALERTMANAGER", "prometheus-alertmanager")
	s := &stack{dir: t.TempDir(), target: newTarget(t)}

	s.startExporter(t, golive(t))
	s.startAlertmanagers(t, amBin, webhookPort)
	s.startPrometheus(t, promBin)

	waitReady(t, s.prometheus, s.promURL+"/-/ready", startTimeout)
	for i, u := range s.amURLs {
		waitReady(t, s.ams[i], u+"/-/ready", startTimeout)
	}
	s.waitCluster(t)
	s.waitProbe(t, 1)
	return s
}

func (s *stack) writeConfig(t *testing.T, name string, cfg any) string {
	t.Helper()
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, filepath.Join(s.dir, name), b)
}

func (s *stack) startExporter(t *testing.T, bin string) {
	t.Helper()
	cfg := map[string]any{
		"global": map[string]any{"scrape_timeout": "5s", "scrape_timeout_offset": "100ms"},
		"host":   map[string]any{"enabled": true},
		"modules": map[string]any{
			"http_2xx": map[string]any{"prober": "http", "timeout": "2s"},
		},
		"probes": []any{map[string]any{"module": "http_2xx", "targets": []string{s.target.url()}}},
	}
	path := s.writeConfig(t, "exporter.yml", cfg)
	s.exporterAddr = loopback(freePort(t))
	s.exporter = startProc(t, s.dir, "exporter", bin, "exporter",
		"--config.file="+path, "--web.listen-address="+s.exporterAddr, "--log.level=debug")
	waitReady(t, s.exporter, "http://"+s.exporterAddr+"/-/ready", startTimeout)
}

// startAlertmanagers runs the shipped alertmanager.yml on two clustered
// peers with only its timings and its webhook URL's port changed: the
// credentials (none: the demo receiver takes loopback without) and the rest
// of the URL stay as shipped, so the chain tests the files a newcomer runs.
func (s *stack) startAlertmanagers(t *testing.T, bin, webhookPort string) {
	t.Helper()
	cfg := readYAML(t, filepath.Join(mustRepoRoot(t), alertmanagerConfig))
	route := mapValue(cfg, "route")
	for key, value := range map[string]string{"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"} {
		n := mapValue(route, key)
		if n == nil {
			t.Fatalf("%s: route.%s missing", alertmanagerConfig, key)
		}
		n.Value = value
	}
	urls := findValues(cfg, "url")
	if len(urls) != 1 {
		t.Fatalf("%s: want exactly one webhook url, found %d", alertmanagerConfig, len(urls))
	}
	u, err := url.Parse(urls[0].Value)
	if err != nil || u.Port() == "" {
		t.Fatalf("%s: webhook url %q has no port to move (%v)", alertmanagerConfig, urls[0].Value, err)
	}
	u.Host = net.JoinHostPort(u.Hostname(), webhookPort)
	urls[0].Value = u.String()
	path := writeYAML(t, filepath.Join(s.dir, "alertmanager.yml"), cfg)

	web := []int{freePort(t), freePort(t)}
	cluster := []int{freeTCPUDPPort(t), freeTCPUDPPort(t)}
	for i := range 2 {
		name := "alertmanager-" + strconv.Itoa(i+1)
		storage := filepath.Join(s.dir, name)
		if err := os.MkdirAll(storage, 0o755); err != nil {
			t.Fatal(err)
		}
		u := "http://" + loopback(web[i])
		p := startProc(t, s.dir, name, bin,
			"--config.file="+path,
			"--storage.path="+storage,
			"--web.listen-address="+loopback(web[i]),
			// externalURL differs per peer; receivers must not key on it.
			"--web.external-url="+u,
			"--cluster.listen-address="+loopback(cluster[i]),
			"--cluster.advertise-address="+loopback(cluster[i]),
			"--cluster.peer="+loopback(cluster[1-i]),
			// Peers normally stagger by peer-timeout and skip what gossip says
			// the other sent. With 0 both send every notification, as they do
			// whenever gossip lags: the at-least-once case the receiver must
			// deduplicate. settle-timeout only shortens startup.
			"--cluster.peer-timeout=0s",
			"--cluster.settle-timeout=3s",
			"--log.level=debug")
		s.ams = append(s.ams, p)
		s.amURLs = append(s.amURLs, u)
	}
}

// findValues returns every scalar value of key in the tree, at any depth.
func findValues(n *yaml.Node, key string) []*yaml.Node {
	var out []*yaml.Node
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
				out = append(out, n.Content[i+1])
			}
		}
	}
	for _, c := range n.Content {
		out = append(out, findValues(c, key)...)
	}
	return out
}

func (s *stack) startPrometheus(t *testing.T, bin string) {
	t.Helper()
	rulesDir := filepath.Join(s.dir, "rules")
	if err := os.MkdirAll(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	alerts, err := copyRulesFast(generatedRuleFiles(t), rulesDir, fastFor, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s.alerts = alerts
	if !slices.Contains(alerts, probeAlert) {
		t.Fatalf("the generated rules have no %s alert (alerts: %v)", probeAlert, alerts)
	}
	amTargets := make([]string, len(s.amURLs))
	for i, u := range s.amURLs {
		amTargets[i] = u[len("http://"):]
	}
	cfg := map[string]any{
		"global":     map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
		"rule_files": []string{filepath.Join(rulesDir, "*.rules.yml")},
		"alerting": map[string]any{"alertmanagers": []any{
			map[string]any{"static_configs": []any{map[string]any{"targets": amTargets}}},
		}},
		"scrape_configs": []any{map[string]any{
			// "golive" is the exporter job of the default thresholds.
			"job_name":       "golive",
			"static_configs": []any{map[string]any{"targets": []string{s.exporterAddr}}},
			// The probe stands for the web service, as in the shipped
			// prometheus.yml.
			"metric_relabel_configs": []any{map[string]any{
				"source_labels": []string{"target"},
				"regex":         regexp.QuoteMeta(s.target.url()),
				"target_label":  "service",
				"replacement":   webService,
			}},
		}},
	}
	path := s.writeConfig(t, "prometheus.yml", cfg)
	addr := loopback(freePort(t))
	s.promURL = "http://" + addr
	s.prometheus = startProc(t, s.dir, "prometheus", bin,
		"--config.file="+path,
		"--storage.tsdb.path="+filepath.Join(s.dir, "tsdb"),
		"--web.listen-address="+addr,
		"--rules.alert.resend-delay=1s",
		"--log.level=debug")
}

// waitCluster waits until both Alertmanagers list two cluster members.
func (s *stack) waitCluster(t *testing.T) {
	t.Helper()
	for i, u := range s.amURLs {
		waitFor(t, startTimeout, "alertmanager cluster of 2 at "+u, s.procs(), func() (bool, string) {
			var st struct {
				Cluster struct {
					Status string `json:"status"`
					Peers  []any  `json:"peers"`
				} `json:"cluster"`
			}
			if err := getJSON(u+"/api/v2/status", nil, &st); err != nil {
				return false, err.Error()
			}
			why := fmt.Sprintf("%s: status %q, %d peers", s.ams[i].name, st.Cluster.Status, len(st.Cluster.Peers))
			return st.Cluster.Status == "ready" && len(st.Cluster.Peers) == 2, why
		})
	}
}

// waitProbe waits until Prometheus holds probe_success == want for the
// target, with the service label the relabelling gives it.
func (s *stack) waitProbe(t *testing.T, want float64) {
	t.Helper()
	q := fmt.Sprintf(`probe_success{job="golive", target=%q, service=%q}`, s.target.url(), webService)
	waitFor(t, alertTimeout, fmt.Sprintf("%s == %v", q, want), s.procs(), func() (bool, string) {
		v, err := s.query(q)
		if err != nil {
			return false, err.Error()
		}
		return v == want, fmt.Sprintf("value %v", v)
	})
}

// query evaluates an instant query with exactly one result.
func (s *stack) query(q string) (float64, error) {
	var resp struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(s.promURL+"/api/v1/query?query="+url.QueryEscape(q), nil, &resp); err != nil {
		return 0, err
	}
	if n := len(resp.Data.Result); n != 1 {
		return 0, fmt.Errorf("%d results", n)
	}
	str, _ := resp.Data.Result[0].Value[1].(string)
	return strconv.ParseFloat(str, 64)
}

// getJSON fetches url and decodes a 200 answer into v.
func getJSON(u string, header http.Header, v any) error {
	code, body, err := httpGet(context.Background(), u, header)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %.200s", u, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// amWebhookStats is what Alertmanager i's /metrics says about its webhook
// integration: attempts, failed attempts, and finished attempts (the
// latency histogram's count, observed once an attempt has its answer).
func (s *stack) amWebhookStats(i int) (attempts, failed, finished float64, err error) {
	code, body, err := httpGet(context.Background(), s.amURLs[i]+"/metrics", nil)
	if err != nil {
		return 0, 0, 0, err
	}
	if code != http.StatusOK {
		return 0, 0, 0, fmt.Errorf("%s /metrics: status %d", s.ams[i].name, code)
	}
	attempts = sumSamples(body, "alertmanager_notifications_total", `integration="webhook"`)
	failed = sumSamples(body, "alertmanager_notifications_failed_total", `integration="webhook"`)
	finished = sumSamples(body, "alertmanager_notification_latency_seconds_count", `integration="webhook"`)
	return attempts, failed, finished, nil
}

// sumSamples adds the values of every sample of metric in a text
// exposition whose labels contain matcher.
func sumSamples(exposition []byte, metric, matcher string) float64 {
	sum := 0.0
	for _, line := range strings.Split(string(exposition), "\n") {
		rest, ok := strings.CutPrefix(line, metric)
		if !ok || !strings.HasPrefix(rest, "{") && !strings.HasPrefix(rest, " ") {
			continue
		}
		if matcher != "" && !strings.Contains(rest, matcher) {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}
