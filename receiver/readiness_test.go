package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	rd "github.com/golive-ops/golive/internal/readiness"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/readiness"
	"github.com/golive-ops/golive/receiver/store"
)

var (
	goliveOnce sync.Once
	goliveBin  string
	goliveErr  error
)

// builtGolive builds the golive binary once per test process.
func builtGolive(t *testing.T) string {
	t.Helper()
	goliveOnce.Do(func() {
		dir, err := os.MkdirTemp("", "golive-readiness-bin-")
		if err != nil {
			goliveErr = err
			return
		}
		goliveBin = filepath.Join(dir, "golive")
		out, err := exec.Command("go", "build", "-o", goliveBin, "github.com/golive-ops/golive").CombinedOutput()
		if err != nil {
			goliveErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if goliveErr != nil {
		t.Fatal(goliveErr)
	}
	return goliveBin
}

// golive runs the built command and returns its exit code and output.
func golive(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, builtGolive(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "USER=ana")
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// The go-live readiness workflow on the built command against a real
// receiver, HAProxy and `golive notify test`: manual items pending, signed
// off, expired; a channel tested; reports stored, exported as metrics and
// read by the gate seam; exit codes 0, 1 and 2; JUnit parsed by Python.
func TestReadinessEndToEnd(t *testing.T) {
	hooks := make(chan struct{}, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hooks <- struct{}{} }))
	defer hook.Close()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer backend.Close()
	lb := haproxytest.Start(t, haproxytest.Backend{Name: "web", Servers: []haproxytest.Server{{Name: "web1", Addr: strings.TrimPrefix(backend.URL, "http://"), Weight: -1}}})

	dir := t.TempDir()
	rcvCfg := filepath.Join(dir, "receiver.yml")
	if err := os.WriteFile(rcvCfg, fmt.Appendf(nil, `external_url: http://127.0.0.1:9470
storage:
  sqlite: {path: %s}
auth:
  insecure_allow_unauthenticated_loopback: true
notify:
  channels:
    - name: ops-webhook
      webhook: {url: "%s/hook"}
gates:
  - {name: go-live, require_readiness: true, min_interval: 1ms}
`, filepath.Join(dir, "receiver.db"), hook.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(rcvCfg)
	if err != nil {
		t.Fatal(err)
	}
	app := startApp(t, cfg)

	checklist := filepath.Join(dir, "readiness.yml")
	if err := os.WriteFile(checklist, fmt.Appendf(nil, `receiver: {url: %s}
modules:
  http_2xx: {prober: http, timeout: 5s}
items:
  - {name: load-balancer-answering, category: infrastructure, probe: {module: http_2xx, target: "http://%s/"}}
  - {name: receiver-ready, receiver: {}}
  - {name: notification-channel-tested, notification_channels: {within: 1d}}
  - {name: training-done, manual: {valid_for: 90d, owner: ops lead}}
  - {name: oncall-rota-staffed, manual: {valid_for: 14d}}
`, app.url, lb.Frontends["web"]), 0o600); err != nil {
		t.Fatal(err)
	}

	// No report yet: the gate holds.
	if _, body := get(t, app.url+"/api/v1/gates/go-live"); !strings.Contains(body, `"hold"`) || !strings.Contains(body, "no readiness report yet") {
		t.Errorf("gate without a report: %s", body)
	}

	// Nothing signed, no channel tested: not ready.
	code, out, stderr := golive(t, "readiness", "--checklist", checklist, "--output", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (not ready)\n%s\n%s", code, out, stderr)
	}
	rep := decodeReport(t, out)
	wantItem(t, rep, "load-balancer-answering", rd.StatusPass, "HTTP 200")
	wantItem(t, rep, "receiver-ready", rd.StatusPass, "/-/ready answered 200")
	wantItem(t, rep, "training-done", rd.StatusPending, "golive readiness sign training-done")
	wantItem(t, rep, "notification-channel-tested", rd.StatusFail, "ops-webhook was never tested successfully")

	// `golive notify test` records its result in the receiver's store.
	if code, out, stderr := golive(t, "notify", "test", "--config.file", rcvCfg); code != 0 {
		t.Fatalf("notify test: exit %d\n%s\n%s", code, out, stderr)
	}
	<-hooks
	// Signing needs a comment, and signs only manual items.
	if code, _, stderr := golive(t, "readiness", "sign", "training-done", "--checklist", checklist); code != 2 || !strings.Contains(stderr, "--comment") {
		t.Errorf("sign without --comment: exit %d, %s", code, stderr)
	}
	if code, _, stderr := golive(t, "readiness", "sign", "receiver-ready", "--checklist", checklist, "--comment", "x"); code != 1 || !strings.Contains(stderr, "not a manual item") {
		t.Errorf("sign an automated item: exit %d, %s", code, stderr)
	}
	if code, out, stderr := golive(t, "readiness", "sign", "training-done", "--checklist", checklist, "--comment", "all 12 on-call staff, LMS report #4411"); code != 0 {
		t.Fatalf("sign: exit %d\n%s%s", code, out, stderr)
	}
	// The rota was signed off long ago: its sign-off has expired.
	old := store.Signoff{Item: "oncall-rota-staffed", By: "bo", Comment: "rota for March", SignedAt: time.Now().Add(-20 * 24 * time.Hour), ExpiresAt: time.Now().Add(-6 * 24 * time.Hour)}
	if err := app.Store().InsertSignoff(context.Background(), &old); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = golive(t, "readiness", "--checklist", checklist, "--output", "json", "--report-to", app.url)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (an expired sign-off)\n%s\n%s", code, out, stderr)
	}
	rep = decodeReport(t, out)
	wantItem(t, rep, "oncall-rota-staffed", rd.StatusFail, "the sign-off expired 6d")
	wantItem(t, rep, "training-done", rd.StatusPass, "signed off by ana")
	wantItem(t, rep, "notification-channel-tested", rd.StatusPass, "ops-webhook ok")

	// The stored report holds the gate, with the failing item as a reason,
	// and shows on /metrics.
	gr, err := readiness.Gate{Store: app.Store()}.LatestReadiness(context.Background())
	if err != nil || !gr.Known || gr.Ready || len(gr.Failing) != 1 || !strings.HasPrefix(gr.Failing[0], "oncall-rota-staffed: the sign-off expired") {
		t.Errorf("gate readiness %+v, %v: want known, not ready, naming the expired item", gr, err)
	}
	if _, body := get(t, app.url+"/api/v1/gates/go-live"); !strings.Contains(body, `"hold"`) || !strings.Contains(body, "not ready: oncall-rota-staffed: the sign-off expired 6d ago") {
		t.Errorf("gate with a not-ready report: %s", body)
	}
	metrics := scrape(t, app.url)
	for _, want := range []string{"golive_readiness_ready 0", `golive_readiness_check_ok{category="business",check="oncall-rota-staffed"} 0`,
		`golive_readiness_check_ok{category="infrastructure",check="load-balancer-answering"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Signed again: ready, exit 0; JUnit for CI parses.
	if code, _, stderr := golive(t, "readiness", "sign", "oncall-rota-staffed", "--checklist", checklist, "--comment", "rota for December staffed"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr = golive(t, "readiness", "--checklist", checklist, "--output", "junit", "--report-to", app.url)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (ready)\n%s\n%s", code, out, stderr)
	}
	parseJUnit(t, out, 5, 0)
	if gr, err := (readiness.Gate{Store: app.Store()}).LatestReadiness(context.Background()); err != nil || !gr.Ready {
		t.Errorf("gate readiness after a ready report: %+v %v", gr, err)
	}
	time.Sleep(5 * time.Millisecond) // past the gate's min_interval
	if _, body := get(t, app.url+"/api/v1/gates/go-live"); !strings.Contains(body, `"proceed"`) {
		t.Errorf("gate with a ready report: %s", body)
	}
	if m := scrape(t, app.url); !strings.Contains(m, "golive_readiness_ready 1") {
		t.Error("/metrics: want golive_readiness_ready 1 after a ready report")
	}
	if code, out, _ := golive(t, "readiness", "signoffs", "--checklist", checklist); code != 0 || !strings.Contains(out, "oncall-rota-staffed") || !strings.Contains(out, "valid") {
		t.Errorf("signoffs: %d %s", code, out)
	}

	// An unreachable Prometheus is "could not evaluate" (2), with the reason.
	bad := filepath.Join(dir, "unreachable.yml")
	if err := os.WriteFile(bad, fmt.Appendf(nil, "prometheus: {url: http://%s}\nitems:\n  - {name: collecting, prometheus_targets: {}}\n", freeLoopback(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = golive(t, "readiness", "--checklist", bad)
	if code != 2 || !strings.Contains(out, "is not reachable") || !strings.Contains(out, "could not evaluate") {
		t.Errorf("unreachable Prometheus: exit %d\n%s", code, out)
	}
	// A bad checklist is 2 as well, naming line and field.
	if err := os.WriteFile(bad, []byte("items:\n  - {name: x, probe: {module: nope, target: y}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = golive(t, "readiness", "--checklist", bad)
	if code != 2 || !strings.Contains(stderr, `line 2: items[0].probe.module: "nope" is not a module`) {
		t.Errorf("bad checklist: exit %d, %s", code, stderr)
	}
}

func freeLoopback(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func decodeReport(t *testing.T, out string) rd.Report {
	t.Helper()
	var r rd.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("JSON output: %v\n%s", err, out)
	}
	return r
}

func wantItem(t *testing.T, r rd.Report, name string, status rd.Status, text string) {
	t.Helper()
	for _, it := range r.Items {
		if it.Name != name {
			continue
		}
		if it.Status != status || !strings.Contains(it.Reason+" "+it.Evidence, text) {
			t.Errorf("%s: %s %q %q, want %s with %q", name, it.Status, it.Reason, it.Evidence, status, text)
		}
		return
	}
	t.Errorf("%s: not in the report", name)
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	_, body := get(t, url+"/metrics")
	return body
}

// parseJUnit checks the XML with Python's parser, as CI tools would read it.
func parseJUnit(t *testing.T, xmlText string, tests, failures int) {
	t.Helper()
	py := testenv.Tool(t, "PYTHON3", "python3")
	script := `import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
cases = root.findall("./testsuite/testcase")
print(root.tag, root.get("tests"), root.get("failures"), len(cases), len([c for c in cases if c.find("failure") is not None]))`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(xmlText)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 could not parse the JUnit XML: %v\n%s\n%s", err, out, xmlText)
	}
	want := fmt.Sprintf("testsuites %d %d %d %d", tests, failures, tests, failures)
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("JUnit as Python reads it: %q, want %q", got, want)
	}
}

// The console's readiness page shows the newest report and signs off an
// item through a CSRF-checked form.
func TestReadinessConsolePage(t *testing.T) {
	app := startApp(t, demoConfig(t))
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	page := func() string {
		resp, err := c.Get(app.url + "/ui/readiness")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /ui/readiness: %d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	body := page()
	if !strings.Contains(body, "No readiness report yet") || !strings.Contains(body, `href="/ui/readiness"`) {
		t.Fatalf("page without a report:\n%s", body)
	}
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil {
		t.Fatal("no CSRF token in the form")
	}
	post := func(v url.Values) int {
		resp, err := c.PostForm(app.url+"/ui/readiness/sign", v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusForbidden {
			t.Logf("403: %s", b)
		}
		return resp.StatusCode
	}
	if code := post(url.Values{"item": {"training-done"}, "comment": {"LMS #4411"}, "valid_for": {"30d"}}); code != http.StatusForbidden {
		t.Errorf("a form without the CSRF token: %d, want 403", code)
	}
	if code := post(url.Values{"_csrf": {csrf[1]}, "item": {"training-done"}, "comment": {""}, "valid_for": {"30d"}}); code != http.StatusBadRequest {
		t.Errorf("a sign-off without a comment: %d, want 400", code)
	}
	if code := post(url.Values{"_csrf": {csrf[1]}, "item": {"training-done"}, "comment": {"LMS <b>#4411</b>"}, "valid_for": {"30d"}}); code != http.StatusOK {
		t.Errorf("sign-off: %d (after the redirect), want 200", code)
	}
	rep := rd.Report{GeneratedAt: time.Now().UTC(), Items: []rd.Result{{Name: "db", Category: "application", Kind: "postgres", Required: true, Status: rd.StatusFail, Reason: "pg_up 0"}}}
	b, _ := json.Marshal(rep)
	if code, body := post2(t, app.url+"/api/v1/readiness/reports", b); code != http.StatusCreated {
		t.Fatalf("post report: %d %s", code, body)
	}
	body = page()
	for _, want := range []string{"NOT READY", "pg_up 0", "training-done", "LMS &lt;b&gt;#4411&lt;/b&gt;", "demo"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
}

func post2(t *testing.T, u string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
