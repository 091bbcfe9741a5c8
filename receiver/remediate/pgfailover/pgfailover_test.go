package pgfailover_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/internal/testenv/pgcluster"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/remediate/pgfailover"
)

func build(t *testing.T, yml string) *pgfailover.Action {
	t.Helper()
	var c pgfailover.Config
	if err := yaml.Unmarshal([]byte(yml), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate("postgres_failover"); err != nil {
		t.Fatal(err)
	}
	a, err := pgfailover.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// With Patroni configured the action is one POST /failover, with the
// candidate, JSON and basic auth from a file; Patroni's answer decides.
func TestPatroniFailover(t *testing.T) {
	var answer int
	var got []string
	patroni := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, ok := r.BasicAuth()
		body, _ := io.ReadAll(r.Body)
		var b map[string]string
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/failover":
			http.Error(w, "no such endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		case r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &b) != nil:
			http.Error(w, "not JSON", http.StatusBadRequest)
		case !ok || user != "golive" || pw != "s3cret":
			http.Error(w, "no auth", http.StatusUnauthorized)
		case b["candidate"] != "pg2" || b["leader"] != "pg1" || len(b) != 2:
			http.Error(w, "wrong body "+string(body), http.StatusBadRequest)
		default:
			got = append(got, string(body))
			w.WriteHeader(answer)
			if answer == http.StatusPreconditionFailed {
				io.WriteString(w, "candidate name does not match with sync_standby")
			} else {
				io.WriteString(w, "Successfully failed over to \"pg2\"")
			}
		}
	}))
	defer patroni.Close()
	pw := writeFile(t, "pw", "s3cret")
	a := build(t, fmt.Sprintf("{patroni: {url: %q, candidate: pg2, leader: pg1, basic_auth: {username: golive, password_file: %q}}}", patroni.URL, pw))
	if a.Idempotent() {
		t.Fatal("a failover must not be idempotent")
	}
	req, err := a.Plan(action.Trigger{Labels: map[string]string{"instance": "pg1"}})
	if err != nil || req.Method != "POST" || req.URL != patroni.URL+"/failover" || strings.Contains(req.Body, "s3cret") {
		t.Fatalf("plan: %+v %v", req, err)
	}
	for _, tc := range []struct {
		status int
		ok     bool
		retry  bool
	}{{200, true, false}, {202, true, false}, {412, false, false}, {503, false, false}} {
		answer = tc.status
		rep, retry, err := a.Run(context.Background(), req)
		if (err == nil) != tc.ok || retry != tc.retry || rep.HTTPStatus != tc.status {
			t.Errorf("Patroni %d: err %v retry %t status %d", tc.status, err, retry, rep.HTTPStatus)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the password leaked: %v", err)
		}
		if tc.status == 412 && !strings.Contains(err.Error(), "sync_standby") {
			t.Errorf("412: %v, want Patroni's reason", err)
		}
	}
	if len(got) != 4 {
		t.Fatalf("Patroni saw %d good requests, want 4", len(got))
	}
	// Nothing listens: nothing was sent, so another attempt may be made.
	patroni.Close()
	if _, retry, err := a.Run(context.Background(), req); err == nil || !retry {
		t.Fatalf("Patroni down: err %v retry %t, want a retryable error", err, retry)
	}
}

// The guards of the plain promote, on real clusters: a live primary is not
// failed over; a replica behind by more than max_lag_bytes is not promoted;
// a fence that fails refuses the promotion; then a promote fences the old
// primary in HAProxy, promotes, and moves the timeline; a second run finds
// no standby and refuses.
func TestGuardedPromote(t *testing.T) {
	ctx := testenv.Context(t, 2*time.Minute)
	primary := pgcluster.New(ctx, t, pgcluster.Options{Name: "golive_fo_primary"})
	standby := pgcluster.Standby(ctx, t, primary.DSN, pgcluster.DefaultMajor, pgcluster.Options{Name: "golive_fo_standby"})
	lb := haproxytest.Start(t, haproxytest.Backend{Name: "pg", Mode: "tcp", Servers: []haproxytest.Server{
		{Name: "pg1", Addr: fmt.Sprintf("127.0.0.1:%d", primary.Port), Weight: -1},
		{Name: "pg2", Addr: fmt.Sprintf("127.0.0.1:%d", standby.Port), Weight: -1, Disabled: true},
	}})
	primaryFile, standbyFile := writeFile(t, "primary.dsn", primary.DSN), writeFile(t, "standby.dsn", standby.DSN)
	common := fmt.Sprintf("primary_dsn_file: %s\nreplica_dsn_file: %s\nprimary_down_for: 1s\nconnect_timeout: 1s\n", primaryFile, standbyFile)
	viaHAProxy := build(t, common+fmt.Sprintf("fence: {haproxy: {socket: %q, backend: pg, primary_server: pg1, replica_server: pg2}}", lb.Socket))
	state := func(server string) haproxy.State {
		s, err := lb.Client.Snapshot(ctx, "pg", server)
		if err != nil {
			t.Fatal(err)
		}
		return s[server].State
	}
	run := func(a *pgfailover.Action) (action.Report, error) {
		req, err := a.Plan(action.Trigger{})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range req.Detail {
			if strings.Contains(v, "postgres://") {
				t.Fatalf("the plan shows a DSN in %s: %s", k, v)
			}
		}
		rep, _, err := a.Run(ctx, req)
		if strings.Contains(rep.Output, "postgres://") || (err != nil && strings.Contains(err.Error(), "postgres://")) {
			t.Fatalf("a DSN leaked: %v\n%s", err, rep.Output)
		}
		return rep, err
	}

	// A live primary.
	if _, err := run(viaHAProxy); !errors.Is(err, pgfailover.ErrGuard) || !strings.Contains(err.Error(), "the primary answered") {
		t.Fatalf("live primary: %v", err)
	}
	if state("pg1") != haproxy.Ready || !standby.InRecovery(ctx) {
		t.Fatal("a refused failover changed something")
	}

	// WAL received but not replayed: lag.
	standby.QueryRow(ctx, "SELECT pg_wal_replay_pause()::text", new(string))
	primary.QueryRow(ctx, "CREATE TABLE t AS SELECT generate_series(1, 1000) AS n", []any{}...)
	var want string
	primary.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text", &want)
	for {
		var received bool
		standby.QueryRow(ctx, fmt.Sprintf("SELECT pg_last_wal_receive_lsn() >= '%s'::pg_lsn", want), &received)
		if received {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	primary.Stop(syscall.SIGQUIT) // the primary crashes
	lagging := build(t, common+"max_lag_bytes: 1\n"+fmt.Sprintf("fence: {haproxy: {socket: %q, backend: pg, primary_server: pg1}}", lb.Socket))
	if rep, err := run(lagging); !errors.Is(err, pgfailover.ErrGuard) || !strings.Contains(err.Error(), "more than max_lag_bytes 1") ||
		!strings.Contains(rep.Output, "primary unreachable") {
		t.Fatalf("lagging replica: %v\n%s", err, rep.Output)
	}
	if state("pg1") != haproxy.Ready {
		t.Fatal("the lag guard fenced the primary: guards come before the fence")
	}
	standby.QueryRow(ctx, "SELECT pg_wal_replay_resume()::text", new(string))

	// A fence that fails.
	noFence := build(t, common+"fence: {command: [/bin/false]}")
	if rep, err := run(noFence); !errors.Is(err, pgfailover.ErrGuard) || !strings.Contains(err.Error(), "fencing the old primary failed") {
		t.Fatalf("failed fence: %v\n%s", err, rep.Output)
	}
	if !standby.InRecovery(ctx) {
		t.Fatal("promoted although the fence failed")
	}

	// The failover.
	rep, err := run(viaHAProxy)
	if err != nil {
		t.Fatalf("failover: %v\n%s", err, rep.Output)
	}
	for _, line := range []string{"fenced: haproxy pg/pg1 in maintenance", "timeline 1 -> 2", "pg/pg2 ready", "rewind"} {
		if !strings.Contains(rep.Output, line) {
			t.Errorf("report lacks %q:\n%s", line, rep.Output)
		}
	}
	if state("pg1") != haproxy.Maint || state("pg2") != haproxy.Ready || standby.InRecovery(ctx) {
		t.Fatalf("after failover: pg1 %s, pg2 %s, standby in recovery %t", state("pg1"), state("pg2"), standby.InRecovery(ctx))
	}
	var rows int
	standby.QueryRow(ctx, "SELECT count(*) FROM t", &rows)
	if rows != 1000 {
		t.Fatalf("the new primary has %d rows of the table written before the crash, want 1000", rows)
	}

	// Again: nothing left to promote.
	if _, err := run(viaHAProxy); !errors.Is(err, pgfailover.ErrGuard) || !strings.Contains(err.Error(), "not in recovery") {
		t.Fatalf("second failover: %v", err)
	}
}

func TestInvalidConfigs(t *testing.T) {
	for yml, want := range map[string]string{
		"{}": "postgres_failover.primary_dsn_file: required without patroni",
		"{primary_dsn_file: /p, replica_dsn_file: /r}":                                                                     "postgres_failover.fence: required",
		"{primary_dsn_file: /p, replica_dsn_file: /r, fence: {}}":                                                          "postgres_failover.fence: exactly one of haproxy and command",
		"{primary_dsn_file: /p, replica_dsn_file: /r, fence: {command: [false]}}":                                          `postgres_failover.fence.command[0]: "false" must be an absolute path`,
		"{primary_dsn_file: /p, replica_dsn_file: /r, fence: {command: [/bin/sh, -c, x]}}":                                 "postgres_failover.fence.command: a shell with -c is refused",
		"{primary_dsn_file: /p, replica_dsn_file: /r, fence: {haproxy: {socket: 'x:y', backend: pg, primary_server: a}}}":  "postgres_failover.fence.haproxy.socket",
		"{primary_dsn_file: /p, replica_dsn_file: /r, fence: {haproxy: {socket: /s, backend: pg, primary_server: 'a b'}}}": `postgres_failover.fence.haproxy.primary_server: "a b" is not a valid HAProxy name`,
		"{primary_dsn_file: /p, replica_dsn_file: /r, fence: {haproxy: {socket: /s, primary_server: a}}}":                  `postgres_failover.fence.haproxy.backend: "" is not a valid`,
		"{patroni: {url: 'ftp://x', candidate: b}}":                                                                        "postgres_failover.patroni.url",
		"{patroni: {url: 'http://u:p@x:8008', candidate: b}}":                                                              "postgres_failover.patroni.url: credentials in the URL",
		"{patroni: {url: 'http://x:8008'}}":                                                                                "postgres_failover.patroni.candidate: required",
		"{patroni: {url: 'http://x:8008', candidate: b}, primary_dsn_file: /p}":                                            "postgres_failover.patroni: exclusive",
		"{patroni: {url: 'http://x:8008', candidate: b, basic_auth: {username: u}}}":                                       "postgres_failover.patroni.basic_auth: username and password_file are required",
	} {
		var c pgfailover.Config
		if err := yaml.Unmarshal([]byte(yml), &c); err != nil {
			t.Fatal(err)
		}
		if err := c.Validate("postgres_failover"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", yml, err, want)
		}
	}
	// The DSN files are read by New (check-config builds every action).
	c := pgfailover.Config{PrimaryDSNFile: "/nonexistent/primary.dsn", ReplicaDSNFile: writeFile(t, "r", "host=x"),
		Fence: &pgfailover.Fence{Command: []string{"/bin/true"}}}
	if _, err := pgfailover.New(c); err == nil || !strings.Contains(err.Error(), "postgres_failover.primary_dsn_file: open /nonexistent/primary.dsn") {
		t.Fatalf("missing DSN file: %v", err)
	}
}
