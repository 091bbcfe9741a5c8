package receiver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/remediate/execaction"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/postgres"
	"github.com/golive-ops/golive/receiver/store/postgres/pgtest"
	"github.com/golive-ops/golive/receiver/store/sqlite"
	"github.com/golive-ops/golive/receiver/webhook"
)

// The test binary doubles as the remediation program (it records that it
// started, then sleeps) and as a receiver with a remediation policy that
// the kill -9 test can kill.
const (
	helperMarkersEnv = "GOLIVE_REMEDY_HELPER_MARKERS"
	helperSleepEnv   = "GOLIVE_REMEDY_HELPER_SLEEP"
	remedyChildEnv   = "GOLIVE_REMEDY_CHILD_DB"
)

// remedyChild runs the helper or the child receiver when the environment
// asks for one (from TestMain).
func remedyChild() (int, bool) {
	if markers := os.Getenv(helperMarkersEnv); markers != "" {
		f, err := os.OpenFile(markers, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return 1, true
		}
		fmt.Fprintf(f, "started %d %s\n", os.Getpid(), strings.Join(os.Args[1:], " "))
		f.Close()
		d, _ := time.ParseDuration(os.Getenv(helperSleepEnv))
		time.Sleep(d)
		return 0, true
	}
	db := os.Getenv(remedyChildEnv)
	if db == "" {
		return 0, false
	}
	cfg := remedyConfig(demoConfigFrom("../deploy/examples/receiver.yml"), os.Getenv("GOLIVE_REMEDY_CHILD_MARKERS"), "60s")
	cfg.Storage.SQLite.Path = db
	app, err := New(context.Background(), Options{Config: cfg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1, true
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1, true
	}
	fmt.Printf("LISTEN %s\n", l.Addr())
	if err := app.Serve(context.Background(), l); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1, true
	}
	return 0, true
}

// remedyConfig adds one non-idempotent exec action, for any priority,
// that runs the test binary as the helper with the service label.
func remedyConfig(cfg *config.Config, markers, sleep string) *config.Config {
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	cfg.Remediation = remediate.Config{Actions: []remediate.ActionConfig{{
		Name: "restart-web", Kind: "exec", When: remediate.When{Priorities: []string{"P0", "P1", "P2", "P3"}},
		KindSettings: remediate.KindSettings{Exec: &execaction.Config{
			Argv:          []string{self, "-test.run=^$", "{service}"},
			Env:           map[string]string{helperMarkersEnv: markers, helperSleepEnv: sleep},
			Substitutions: action.Substitutions{"service": {Label: "service", Allow: "[a-z0-9][a-z0-9-]*"}},
			Timeout:       model.Duration(2 * time.Minute)}},
		MaxAttempts: remediate.Budget{PerIncident: 1},
	}}}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return cfg
}

func markers(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alertBody is a webhook with one firing alert per service, from peer,
// with a notification reason.
func alertBody(t testing.TB, peer, reason string, starts time.Time, services ...string) []byte {
	m := webhook.Message{Version: "4", GroupKey: `{}:{alertname="ServiceDown"}`}
	m.Receiver, m.Status, m.ExternalURL, m.NotificationReason = "golive", "firing", peer, reason
	for _, s := range services {
		m.Alerts = append(m.Alerts, template.Alert{Status: "firing", Fingerprint: "fp-" + fmt.Sprintf("%x", s), StartsAt: starts,
			Labels: map[string]string{"alertname": "ServiceDown", "service": s, "instance": "host-1"}})
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func remediations(t *testing.T, s store.Store) []store.Remediation {
	t.Helper()
	rs, err := s.ListRemediations(context.Background(), store.RemediationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func timelineKinds(t *testing.T, s store.Store, id int64) []store.EventKind {
	t.Helper()
	evs, err := s.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.EventKind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// A P0 web outage runs its action once: the replay, the HA peer's copy and
// the repeat notification change nothing, so nothing is planned again.
func TestRemediationRunsOncePerChange(t *testing.T) {
	m := filepath.Join(t.TempDir(), "markers")
	a := startApp(t, remedyConfig(demoConfig(t), m, "0s"))
	starts := time.Now().Add(-time.Minute)
	hook := a.url + DefaultWebhookPath
	for _, body := range [][]byte{alertBody(t, "am-0", "", starts, "web"), alertBody(t, "am-0", "", starts, "web"),
		alertBody(t, "am-1", "", starts, "web"), alertBody(t, "am-0", webhook.RepeatReason, starts, "web")} {
		if code, msg := post(t, hook, body); code != 200 {
			t.Fatalf("webhook: %d %s", code, msg)
		}
	}
	eventually(t, "the action never finished", func() bool {
		rs := remediations(t, a.Store())
		return len(rs) == 1 && rs[0].State == store.RemediationSucceeded
	})
	time.Sleep(300 * time.Millisecond) // give a wrong second run its chance
	if got := markers(t, m); len(got) != 1 || !strings.HasSuffix(got[0], " web") {
		t.Fatalf("runs = %q, want one with the service label", got)
	}
	r := remediations(t, a.Store())[0]
	inc, err := a.Store().Incident(context.Background(), r.IncidentID)
	if err != nil || inc.Priority != store.P0 {
		t.Fatalf("incident = %+v (%v), want the P0 web outage", inc, err)
	}
	tl := timelineKinds(t, a.Store(), r.IncidentID)
	for _, k := range []store.EventKind{remediate.EventPlanned, remediate.EventStarted, remediate.EventSucceeded} {
		if !slices.Contains(tl, k) {
			t.Errorf("timeline %v lacks %s", tl, k)
		}
	}
	code, body := get(t, fmt.Sprintf("%s/api/v1/remediations?incident=%d", a.url, r.IncidentID))
	var list remediate.List
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Remediations) != 1 {
		t.Fatalf("API: %d %s", code, body)
	}
	var req action.Request
	var rep action.Report
	json.Unmarshal(list.Remediations[0].Request, &req)
	json.Unmarshal(list.Remediations[0].Result, &rep)
	if req.Argv[len(req.Argv)-1] != "web" || rep.ExitCode == nil || *rep.ExitCode != 0 {
		t.Fatalf("API request %+v, result %+v", req, rep)
	}
}

// Label values that would be dangerous in a shell or a path never reach
// a program: each plan is refused and the refusal is in the timeline.
func TestHostileLabelValuesRefuseTheRun(t *testing.T) {
	m := filepath.Join(t.TempDir(), "markers")
	a := startApp(t, remedyConfig(demoConfig(t), m, "0s"))
	hostile := []string{"web; rm -rf /", "$(id)", "`id`", "web\nid", "../../etc/passwd"}
	if code, msg := post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), hostile...)); code != 200 {
		t.Fatalf("webhook: %d %s", code, msg)
	}
	rs := remediations(t, a.Store())
	if len(rs) != len(hostile) {
		t.Fatalf("%d remediations, want one refused per incident: %+v", len(rs), rs)
	}
	for _, r := range rs {
		if r.State != store.RemediationRefused || !strings.Contains(r.Reason, "does not match the allow-list") {
			t.Errorf("remediation %d: %s %q, want refused", r.ID, r.State, r.Reason)
		}
		if tl := timelineKinds(t, a.Store(), r.IncidentID); !slices.Contains(tl, remediate.EventRefused) {
			t.Errorf("incident %d timeline %v lacks the refusal", r.IncidentID, tl)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if got := markers(t, m); len(got) != 0 {
		t.Fatalf("something ran: %q", got)
	}
}

// kill -9 of the receiver during a non-idempotent attempt, then a
// restart: the attempt is marked unknown and a person is asked; the
// program is never started a second time.
func TestKill9MidAttemptNeverRunsTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns receiver processes")
	}
	dir := t.TempDir()
	db, m := filepath.Join(dir, "receiver.db"), filepath.Join(dir, "markers")
	child := func() (*exec.Cmd, string) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), remedyChildEnv+"="+db, "GOLIVE_REMEDY_CHILD_MARKERS="+m)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "LISTEN ") {
			t.Fatalf("child did not start: %q %v", line, err)
		}
		return cmd, "http://" + strings.TrimSpace(strings.TrimPrefix(line, "LISTEN "))
	}
	cmd, url := child()
	if code, err := postWith(newHTTPClient(), url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "web")); err != nil || code != 200 {
		t.Fatalf("webhook: %d %v", code, err)
	}
	eventually(t, "the action never started", func() bool { return len(markers(t, m)) == 1 })
	t.Cleanup(func() { // the orphaned program sleeps on; end it
		var pid int
		if _, err := fmt.Sscanf(markers(t, m)[0], "started %d", &pid); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	_, _ = child() // the restart claims the job once the dead lease ends
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	eventually(t, "the interrupted attempt was never marked unknown", func() bool {
		rs := remediations(t, s)
		return len(rs) == 1 && rs[0].State == store.RemediationUnknown
	})
	r := remediations(t, s)[0]
	if r.Attempts != 1 || !strings.Contains(r.Reason, "never reported back") {
		t.Fatalf("remediation = %+v", r)
	}
	tl := timelineKinds(t, s, r.IncidentID)
	if !slices.Contains(tl, remediate.EventUnknown) || !slices.Contains(tl, EventRemediationEscalated) {
		t.Fatalf("timeline %v lacks the unknown outcome and the escalation", tl)
	}
	time.Sleep(time.Second)
	if got := markers(t, m); len(got) != 1 {
		t.Fatalf("the program ran %d times: %q", len(got), got)
	}
}

// Two replicas on one PostgreSQL, each fed every webhook by two
// Alertmanager peers, concurrently: each incident's action runs once.
func TestReplicasRunEachActionOnce(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	schema := pgtest.Schema(t, dsn)
	m := filepath.Join(t.TempDir(), "markers")
	var urls []string
	for range 2 {
		s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: schema, MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		cfg := remedyConfig(demoConfig(t), m, "0s")
		app, err := New(context.Background(), Options{Config: cfg, Store: s})
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, serveApp(t, app))
	}
	services := []string{"web", "api", "shop", "cart", "auth"}
	starts := time.Now().Add(-time.Minute)
	var wg sync.WaitGroup
	client := newHTTPClient()
	for round := range 3 {
		for _, u := range urls {
			for _, peer := range []string{"am-0", "am-1"} {
				wg.Go(func() {
					for _, svc := range services {
						if code, err := postWith(client, u+DefaultWebhookPath, alertBody(t, peer, "", starts, svc)); err != nil || code != 200 {
							t.Errorf("round %d %s %s: %d %v", round, peer, svc, code, err)
						}
					}
				})
			}
		}
	}
	wg.Wait()
	check, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	eventually(t, "not every action finished", func() bool {
		rs := remediations(t, check)
		done := 0
		for _, r := range rs {
			if r.State == store.RemediationSucceeded {
				done++
			}
		}
		return done == len(services)
	})
	time.Sleep(500 * time.Millisecond)
	if rs := remediations(t, check); len(rs) != len(services) {
		t.Fatalf("%d remediations, want %d", len(rs), len(services))
	}
	got := markers(t, m)
	var ran []string
	for _, line := range got {
		ran = append(ran, line[strings.LastIndex(line, " ")+1:])
	}
	slices.Sort(ran)
	if want := slices.Sorted(slices.Values(services)); !slices.Equal(ran, want) {
		t.Fatalf("ran %v, want each of %v once", ran, want)
	}
}

// serveApp serves app on a free port until the test ends.
func serveApp(t *testing.T, app *App) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		app.Close()
	})
	return "http://" + l.Addr().String()
}

var _ = http.StatusOK
