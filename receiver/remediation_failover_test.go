package receiver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/internal/testenv/pgcluster"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/remediate/pgfailover"
	"github.com/golive-ops/golive/receiver/store"
)

// A database outage, end to end on real servers: two PostgreSQL 15
// clusters (a primary and its pg_basebackup standby) behind HAProxy in tcp
// mode. The primary crashes; the P0 alert plans the failover, which waits
// for approval (postgres_failover needs it by default) and changes
// nothing until a person approves through the API; approved, it fences
// the old primary in HAProxy, promotes the standby and points HAProxy at
// it, so writes through HAProxy reach the new primary. The old primary,
// restarted, would take writes on its own timeline (split brain) but
// HAProxy keeps it fenced, so writes through HAProxy still go to the new
// primary only.
func TestFailoverThroughHAProxyAfterApproval(t *testing.T) {
	ctx := testenv.Context(t, 3*time.Minute)
	primary := pgcluster.New(ctx, t, pgcluster.Options{Name: "golive_e2e_primary"})
	standby := pgcluster.Standby(ctx, t, primary.DSN, pgcluster.DefaultMajor, pgcluster.Options{Name: "golive_e2e_standby"})
	lb := haproxytest.Start(t, haproxytest.Backend{Name: "pg", Mode: "tcp", Servers: []haproxytest.Server{
		{Name: "pg1", Addr: fmt.Sprintf("127.0.0.1:%d", primary.Port), Weight: -1},
		{Name: "pg2", Addr: fmt.Sprintf("127.0.0.1:%d", standby.Port), Weight: -1, Disabled: true},
	}})
	viaLB := fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable&connect_timeout=3", lb.Frontends["pg"])
	write := func(v string) error {
		conn, err := pgx.Connect(ctx, viaLB)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, "INSERT INTO writes VALUES ($1)", v)
		return err
	}
	has := func(c *pgcluster.Cluster, v string) bool {
		var n int
		c.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM writes WHERE v = '%s'", v), &n)
		return n == 1
	}
	state := func(server string) haproxy.State {
		s, err := lb.Client.Snapshot(ctx, "pg", server)
		if err != nil {
			t.Fatal(err)
		}
		return s[server].State
	}
	primary.QueryRow(ctx, "CREATE TABLE writes (v text)")
	if err := write("before"); err != nil {
		t.Fatalf("write through HAProxy before the outage: %v", err)
	}

	dir := t.TempDir()
	primaryFile, standbyFile := filepath.Join(dir, "primary.dsn"), filepath.Join(dir, "standby.dsn")
	for path, dsn := range map[string]string{primaryFile: primary.DSN, standbyFile: standby.DSN} {
		if err := os.WriteFile(path, []byte(dsn), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := demoConfig(t)
	cfg.Remediation = remediate.Config{Actions: []remediate.ActionConfig{{
		Name: "failover-database", Kind: "postgres_failover",
		When: remediate.When{Priorities: []string{"P0", "P1", "P2", "P3"}, Matchers: []string{`service="db"`}},
		KindSettings: remediate.KindSettings{PostgresFailover: &pgfailover.Config{
			PrimaryDSNFile: primaryFile, ReplicaDSNFile: standbyFile,
			PrimaryDownFor: model.Duration(time.Second), ConnectTimeout: model.Duration(time.Second),
			Fence: &pgfailover.Fence{HAProxy: &pgfailover.HAProxyFence{Socket: lb.Socket, Backend: "pg",
				PrimaryServer: "pg1", ReplicaServer: "pg2"}}}},
		MaxAttempts: remediate.Budget{PerIncident: 1},
	}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := cfg.Remediation.Actions[0].Approval; got != "required" {
		t.Fatalf("postgres_failover approval = %q, want required by default", got)
	}
	a := startApp(t, cfg)

	primary.Stop(syscall.SIGQUIT) // the primary crashes
	if err := write("lost"); err == nil {
		t.Fatal("a write through HAProxy succeeded with the primary down")
	}
	if code, body := post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "db")); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	var r store.Remediation
	eventually(t, "the failover was not planned", func() bool {
		rs := remediations(t, a.Store())
		if len(rs) == 1 {
			r = rs[0]
		}
		return len(rs) == 1
	})
	if r.State != store.RemediationAwaitingApproval {
		t.Fatalf("failover planned as %s (%s), want awaiting_approval", r.State, r.Reason)
	}
	if strings.Contains(string(r.Request), "postgres://") {
		t.Fatalf("the stored request shows a DSN: %s", r.Request)
	}
	time.Sleep(1500 * time.Millisecond) // longer than primary_down_for: a wrong run would have promoted by now
	if !standby.InRecovery(ctx) || state("pg1") != haproxy.Ready {
		t.Fatal("the failover acted before approval")
	}

	if code, body := postJSON(t, fmt.Sprintf("%s/api/v1/remediations/%d/approve", a.url, r.ID), `{"actor":"alice","comment":"primary is gone"}`); code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	eventually(t, "the approved failover did not finish", func() bool {
		got, _ := a.Store().Remediation(context.Background(), r.ID)
		r = got
		return got.State.Final()
	})
	if r.State != store.RemediationSucceeded {
		t.Fatalf("failover %s: %s\n%s", r.State, r.Reason, r.Result)
	}
	var rep action.Report
	if err := json.Unmarshal(r.Result, &rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fenced: haproxy pg/pg1 in maintenance", "timeline 1 -> 2", "rewind"} {
		if !strings.Contains(rep.Output, want) {
			t.Errorf("the recorded output lacks %q:\n%s", want, rep.Output)
		}
	}
	if standby.InRecovery(ctx) || state("pg1") != haproxy.Maint || state("pg2") != haproxy.Ready {
		t.Fatalf("after failover: standby in recovery %t, pg1 %s, pg2 %s", standby.InRecovery(ctx), state("pg1"), state("pg2"))
	}
	if err := write("after"); err != nil {
		t.Fatalf("write through HAProxy after the failover: %v", err)
	}
	if !has(standby, "after") || !has(standby, "before") {
		t.Fatal("the new primary lacks the writes made through HAProxy")
	}

	// The old primary comes back: on its own it is a primary on timeline 1
	// that takes writes, which is why it stays fenced.
	primary.Start(ctx)
	if primary.InRecovery(ctx) {
		t.Fatal("the restarted old primary is in recovery; this test expects the unfenced split brain it guards against")
	}
	if err := primary.Query(ctx, "INSERT INTO writes VALUES ('direct')"); err != nil {
		t.Fatalf("the restarted old primary refused a direct write (%v); the README says it takes them", err)
	}
	if err := write("after-restart"); err != nil {
		t.Fatalf("write through HAProxy with the old primary back: %v", err)
	}
	if !has(standby, "after-restart") || has(primary, "after-restart") || has(primary, "after") {
		t.Fatal("a write through HAProxy reached the old primary")
	}
	if state("pg1") != haproxy.Maint {
		t.Fatal("the old primary left maintenance on its own")
	}
}
