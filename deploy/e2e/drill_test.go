package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	"github.com/golive-ops/golive/internal/testenv"
)

// The go-live drill (README "Rollouts"): Debian's HAProxy in front of two
// releases of a small web service, Prometheus scraping them every 5 s with
// the generated rules, the Alertmanager pair, the exporter and the receiver
// running a rollout plan through its go-live gate.
const (
	drillScrape = 5 * time.Second
	// drillBudget is the longest the drill may take from the first failing
	// request to HAProxy sending everything to the old release again.
	drillBudget = 60 * time.Second
	// drillRate is the load generator's requests per second through HAProxy.
	drillRate = 40
)

// release is one backend: it serves "/" with its name and exports
// http_requests_total{code} and http_request_duration_seconds.
type release struct {
	name     string
	srv      *httptest.Server
	failing  atomic.Bool
	firstBad atomic.Int64 // unix nanos of the first failed request
}

func newRelease(t *testing.T, name string) *release {
	r := &release{name: name}
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests by status code."}, []string{"code"})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Request latency.",
		Buckets: prometheus.DefBuckets})
	reg.MustRegister(requests, duration)
	requests.WithLabelValues("200")
	requests.WithLabelValues("500")
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		start := time.Now()
		code := http.StatusOK
		if r.failing.Load() && rand.IntN(5) == 0 { // 20% of requests
			code = http.StatusInternalServerError
			r.firstBad.CompareAndSwap(0, start.UnixNano())
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, r.name)
		requests.WithLabelValues(strconv.Itoa(code)).Inc()
		duration.Observe(time.Since(start).Seconds())
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *release) addr() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// load sends drillRate requests a second through HAProxy and remembers
// which release answered each, with its time.
type load struct {
	mu      sync.Mutex
	answers []answer
}

type answer struct {
	at   time.Time
	from string
}

func startLoad(t *testing.T, frontend string) *load {
	l := &load{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second / drillRate)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+frontend+"/", nil)
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			l.mu.Lock()
			l.answers = append(l.answers, answer{time.Now(), string(b)})
			l.mu.Unlock()
		}
	}()
	return l
}

// since counts the answers of each release after t.
func (l *load) since(t time.Time) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := map[string]int{}
	for _, a := range l.answers {
		if a.at.After(t) {
			got[a.from]++
		}
	}
	return got
}

type drill struct {
	stack   *stack
	haproxy *haproxytest.Instance
	old     *release
	new     *release
	slack   *slackSink
	rcvURL  string
	rcv     *proc
	load    *load
}

func (d *drill) procs() []*proc { return append(d.stack.procs(), d.rcv) }

func startDrill(t *testing.T) *drill {
	t.Helper()
	promBin := testenv.Tool(t, "PROMETHEUS", "prometheus")
	amBin := testenv.Tool(t, "ALERTMANAGER", "prometheus-alertmanager")
	d := &drill{old: newRelease(t, "old"), new: newRelease(t, "new"), slack: newSlackSink(t)}
	d.haproxy = haproxytest.Start(t, haproxytest.Backend{Name: "app", Servers: []haproxytest.Server{
		{Name: "old", Addr: d.old.addr(), Weight: 100}, {Name: "new", Addr: d.new.addr(), Weight: 0},
	}})
	s := &stack{dir: t.TempDir(), target: newTarget(t)}
	d.stack = s
	rcvAddr := loopback(freePort(t))
	d.rcvURL = "http://" + rcvAddr
	s.startExporter(t, golive(t))
	s.startAlertmanagers(t, amBin, rcvAddr[strings.LastIndex(rcvAddr, ":")+1:])
	d.startPrometheus(t, promBin)
	d.startReceiver(t, rcvAddr)
	waitReady(t, s.prometheus, s.promURL+"/-/ready", startTimeout)
	for i, u := range s.amURLs {
		waitReady(t, s.ams[i], u+"/-/ready", startTimeout)
	}
	d.load = startLoad(t, d.haproxy.Frontends["app"])
	// The gate needs traffic in Prometheus before it proceeds.
	waitFor(t, startTimeout, "request rate in Prometheus", d.procs(), func() (bool, string) {
		v, err := s.query(`sum(rate(http_requests_total{job=~"web|api"}[5m]))`)
		return err == nil && v >= 1, fmt.Sprint(v, err)
	})
	// And the generated recording rule the error_rate check reads (no
	// data holds, and a hold pauses the rollout).
	waitFor(t, startTimeout, "job:http_request_errors:ratio_rate5m in Prometheus", d.procs(), func() (bool, string) {
		v, err := s.query(`max(job:http_request_errors:ratio_rate5m)`)
		return err == nil && !math.IsNaN(v), fmt.Sprint(v, err)
	})
	return d
}

// startPrometheus scrapes the exporter and both releases every 5 s with
// the generated rules (their `for`s cut to seconds). The releases are two
// jobs of the generated rules, web (old) and api (new), so the per-job
// error ratio the go-live gate checks is the candidate's own.
func (d *drill) startPrometheus(t *testing.T, bin string) {
	t.Helper()
	s := d.stack
	rulesDir := filepath.Join(s.dir, "rules")
	if err := os.MkdirAll(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := copyRulesFast(generatedRuleFiles(t), rulesDir, fastFor, drillScrape); err != nil {
		t.Fatal(err)
	}
	am := make([]string, len(s.amURLs))
	for i, u := range s.amURLs {
		am[i] = strings.TrimPrefix(u, "http://")
	}
	job := func(name, addr string) map[string]any {
		return map[string]any{"job_name": name, "static_configs": []any{map[string]any{"targets": []string{addr}}}}
	}
	cfg := map[string]any{
		"global":     map[string]any{"scrape_interval": drillScrape.String(), "scrape_timeout": "4s", "evaluation_interval": drillScrape.String()},
		"rule_files": []string{filepath.Join(rulesDir, "*.rules.yml")},
		"alerting": map[string]any{"alertmanagers": []any{
			map[string]any{"static_configs": []any{map[string]any{"targets": am}}},
		}},
		"scrape_configs": []any{job("golive", s.exporterAddr), job("web", d.old.addr()), job("api", d.new.addr())},
	}
	path := s.writeConfig(t, "prometheus.yml", cfg)
	addr := loopback(freePort(t))
	s.promURL = "http://" + addr
	s.prometheus = startProc(t, s.dir, "prometheus", bin, "--config.file="+path,
		"--storage.tsdb.path="+filepath.Join(s.dir, "tsdb"), "--web.listen-address="+addr,
		"--rules.alert.resend-delay=1s", "--log.level=debug")
}

// startReceiver runs the receiver with the shipped go-live gate's error
// rate and response time checks against this Prometheus. CPU and memory
// are observe_only here: the machine running the drill is shared and busy,
// and its load is not the release's.
func (d *drill) startReceiver(t *testing.T, addr string) {
	t.Helper()
	dir := t.TempDir()
	matchers := []string{`severity=~"critical|warning"`, `job=~"web|api"`}
	cfg := map[string]any{
		"storage":    map[string]any{"sqlite": map[string]any{"path": filepath.Join(dir, "receiver.db")}},
		"auth":       map[string]any{"insecure_allow_unauthenticated_loopback": true},
		"notify":     d.slack.notifyTo(),
		"prometheus": map[string]any{"url": d.stack.promURL, "timeout": "5s"},
		"gates": []any{map[string]any{
			"name":      "go-live",
			"alerts":    matchers,
			"incidents": map[string]any{"at_or_above": "P1", "matchers": matchers},
			"checks": []any{
				map[string]any{"name": "error_rate", "query": "max(job:http_request_errors:ratio_rate5m)", "op": ">", "threshold": 0.05,
					"on_breach": "rollback", "needs_traffic": true},
				map[string]any{"name": "avg_response_seconds", "op": ">", "threshold": 3, "needs_traffic": true,
					"query": `sum(rate(http_request_duration_seconds_sum{job=~"web|api"}[5m])) / sum(rate(http_request_duration_seconds_count{job=~"web|api"}[5m]))`},
				map[string]any{"name": "cpu", "query": "max(instance:node_cpu_utilisation:rate5m)", "op": ">", "threshold": 0.80, "observe_only": true},
			},
			"min_traffic":  map[string]any{"query": `sum(rate(http_requests_total{job=~"web|api"}[5m]))`, "threshold": 1},
			"min_interval": "1s",
		}},
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, filepath.Join(dir, "receiver.yml"), b)
	d.rcv = startProc(t, dir, "receiver", golive(t), "receiver", "--config.file="+path, "--web.listen-address="+addr, "--log.level=debug")
	waitReady(t, d.rcv, d.rcvURL+"/-/ready", startTimeout)
}

// rolloutView is the part of GET /api/v1/rollouts/{id} the drill reads.
type rolloutView struct {
	ID             int64  `json:"id"`
	State          string `json:"state"`
	Reason         string `json:"reason"`
	Step           int    `json:"step"`
	StepPhase      string `json:"step_phase"`
	StagePercent   float64
	TrafficChanges []struct {
		At   time.Time `json:"at"`
		Step int       `json:"step"`
		Note string    `json:"note"`
	} `json:"traffic_changes"`
	Decisions []struct {
		DecisionID int64  `json:"decision_id"`
		Decision   string `json:"decision"`
		Note       string `json:"note"`
	} `json:"decisions"`
}

func (d *drill) start(t *testing.T, stages string) int64 {
	t.Helper()
	plan := fmt.Sprintf(`name: checkout
gate: go-live
traffic:
  haproxy: {address: %q, backend: app, current: [old], candidate: [new]}
stages: %s
poll: 1s
notify: [slack]
`, d.haproxy.Socket, stages)
	req, _ := http.NewRequest(http.MethodPost, d.rcvURL+"/api/v1/rollouts", bytes.NewReader([]byte(plan)))
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST plan: %d %s", resp.StatusCode, body)
	}
	var v rolloutView
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func (d *drill) rollout(id int64) (rolloutView, error) {
	var v rolloutView
	err := getJSON(fmt.Sprintf("%s/api/v1/rollouts/%d", d.rcvURL, id), nil, &v)
	return v, err
}

func (d *drill) waitRollout(t *testing.T, id int64, timeout time.Duration, what string, ok func(rolloutView) bool) rolloutView {
	t.Helper()
	var v rolloutView
	waitFor(t, timeout, what, d.procs(), func() (bool, string) {
		var err error
		if v, err = d.rollout(id); err != nil {
			return false, err.Error()
		}
		return ok(v), fmt.Sprintf("state %s step %d %s %s; decisions %d", v.State, v.Step, v.StepPhase, v.Reason, len(v.Decisions))
	})
	return v
}

// TestGoLiveDrill: at 10% the new release fails 20% of its requests; the
// gate turns rollback, HAProxy sends everything to the old release again,
// the rollout ends rolled_back, an incident is open and Slack was told.
func TestGoLiveDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end drill: skipped with -short")
	}
	d := startDrill(t)
	id := d.start(t, "[{percent: 10, observe: 5m}, {percent: 100, observe: 5m}]")
	d.waitRollout(t, id, alertTimeout, "stage 1 applied", func(v rolloutView) bool { return v.StepPhase == "observing" })
	d.new.failing.Store(true)
	waitFor(t, alertTimeout, "the first failing request", d.procs(), func() (bool, string) { return d.new.firstBad.Load() != 0, "" })
	firstBad := time.Unix(0, d.new.firstBad.Load())

	v := d.waitRollout(t, id, drillBudget+30*time.Second, "rolled back", func(v rolloutView) bool { return v.State == "rolled_back" || v.State == "failed" })
	if v.State != "rolled_back" {
		t.Fatalf("rollout %s: %s", v.State, v.Reason)
	}
	last := v.TrafficChanges[len(v.TrafficChanges)-1]
	restoredIn := last.At.Sub(firstBad)
	t.Logf("DRILL: first failing request %s; gate said rollback (%s); HAProxy restored %s later", firstBad.Format(time.RFC3339Nano), v.Reason, restoredIn.Round(100*time.Millisecond))
	fmt.Printf("go-live drill: from the first failing request to the restored split: %s (budget %s, scrapes every %s)\n",
		restoredIn.Round(100*time.Millisecond), drillBudget, drillScrape)
	if restoredIn > drillBudget || restoredIn <= 0 {
		t.Errorf("split restored %s after the first failing request; budget %s", restoredIn, drillBudget)
	}
	if len(v.Decisions) == 0 || v.Decisions[len(v.Decisions)-1].Decision != "rollback" {
		t.Errorf("last decision %+v, want rollback", v.Decisions)
	}
	// Real requests through HAProxy: all to the old release.
	after := time.Now()
	time.Sleep(3 * time.Second)
	if got := d.load.since(after); got["old"] < drillRate || got["new"] != 0 {
		t.Errorf("after the rollback HAProxy answered %v; want only old", got)
	}
	waitFor(t, alertTimeout, "the rollback notification in Slack", d.procs(), func() (bool, string) {
		d.slack.mu.Lock()
		defer d.slack.mu.Unlock()
		for _, p := range d.slack.posts {
			for _, a := range p.Attachments {
				if strings.Contains(a.Text, "event=rollout_rolled_back") {
					return true, ""
				}
			}
		}
		return false, fmt.Sprintf("%d posts", len(d.slack.posts))
	})
	waitFor(t, alertTimeout, "an open incident for the error rate", d.procs(), func() (bool, string) {
		var resp struct {
			Incidents []apiIncident `json:"incidents"`
		}
		if err := getJSON(d.rcvURL+"/api/v1/incidents", nil, &resp); err != nil {
			return false, err.Error()
		}
		incs := resp.Incidents
		for _, i := range incs {
			if i.State != "resolved" && i.State != "closed" && strings.Contains(i.Title+fmt.Sprint(i.Labels), "api") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("incidents %+v", incs)
	})
}

// TestGoLiveDrillWithoutFault walks every stage to 100% and succeeds.
func TestGoLiveDrillWithoutFault(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end drill: skipped with -short")
	}
	d := startDrill(t)
	id := d.start(t, "[{percent: 10, observe: 10s}, {percent: 30, observe: 10s}, {percent: 100, observe: 10s}]")
	v := d.waitRollout(t, id, 3*time.Minute, "the end", func(v rolloutView) bool {
		return v.State == "succeeded" || v.State == "rolled_back" || v.State == "failed" || v.State == "paused"
	})
	if v.State != "succeeded" {
		t.Fatalf("rollout %s: %s", v.State, v.Reason)
	}
	if len(v.TrafficChanges) != 3 {
		t.Errorf("traffic changes %+v, want one per stage", v.TrafficChanges)
	}
	after := time.Now()
	time.Sleep(2 * time.Second)
	if got := d.load.since(after); got["new"] < drillRate || got["old"] != 0 {
		t.Errorf("at 100%% HAProxy answered %v; want only new", got)
	}
}
