package sqlcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/testenv"
)

var (
	_ Querier = (*pgxpool.Pool)(nil)
	_ Querier = (*pgx.Conn)(nil)
)

// migrationSchema creates the runbook's R2.3 situation in a schema of its
// own: three users in the old table, two migrated, one orphan.
func migrationSchema(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	dsn := testenv.PostgresDSN(t)
	ctx := testenv.Context(t, 30*time.Second)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	schema := fmt.Sprintf("golive_sqlcheck_%d", rand.Uint32())
	if _, err := pool.Exec(ctx, fmt.Sprintf(`
		CREATE SCHEMA %[1]s;
		CREATE TABLE %[1]s.old_users (id int PRIMARY KEY, name text);
		CREATE TABLE %[1]s.new_users (id int PRIMARY KEY, name text);
		INSERT INTO %[1]s.old_users VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');
		INSERT INTO %[1]s.new_users VALUES (1, 'ann'), (2, 'bob');`, schema)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return pool, schema
}

type result struct {
	families map[string]*dto.MetricFamily
	err      error
}

func runCheck(t *testing.T, cfg Config, db Querier) result {
	t.Helper()
	c, err := New(cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var metrics []prometheus.Metric
	var wg sync.WaitGroup
	ch := make(chan prometheus.Metric)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m := range ch {
			metrics = append(metrics, m)
		}
	}()
	uerr := c.Update(testenv.Context(t, 30*time.Second), ch)
	close(ch)
	wg.Wait()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(constCollector(metrics))
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	r := result{families: map[string]*dto.MetricFamily{}, err: uerr}
	for _, f := range families {
		r.families[f.GetName()] = f
	}
	return r
}

type constCollector []prometheus.Metric

func (constCollector) Describe(chan<- *prometheus.Desc) {}
func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// values maps "column,label=value..." to the sample of golive_sqlcheck_value.
func (r result) values() map[string]float64 {
	out := map[string]float64{}
	for _, m := range r.families["golive_sqlcheck_value"].GetMetric() {
		var key []string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "column":
				key = append([]string{l.GetValue()}, key...)
			case "check":
			default:
				key = append(key, l.GetName()+"="+l.GetValue())
			}
		}
		out[strings.Join(key, ",")] = m.GetGauge().GetValue()
	}
	return out
}

func (r result) success(t *testing.T) float64 {
	t.Helper()
	f := r.families["golive_sqlcheck_success"]
	if f == nil || len(f.GetMetric()) != 1 {
		t.Fatal("golive_sqlcheck_success missing")
	}
	if _, ok := r.families["golive_sqlcheck_duration_seconds"]; !ok {
		t.Error("golive_sqlcheck_duration_seconds missing")
	}
	return f.GetMetric()[0].GetGauge().GetValue()
}

func TestMigrationConsistencyCheck(t *testing.T) {
	pool, s := migrationSchema(t)
	r := runCheck(t, Config{
		Name: "users_migration", Postgres: "primary",
		Query: fmt.Sprintf(`SELECT
			(SELECT count(*) FROM %[1]s.old_users) AS old_rows,
			(SELECT count(*) FROM %[1]s.new_users) AS new_rows,
			(SELECT count(*) FROM %[1]s.old_users o
			  WHERE NOT EXISTS (SELECT 1 FROM %[1]s.new_users n WHERE n.id = o.id)) AS orphans`, s),
	}, pool)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.success(t) != 1 {
		t.Error("success = 0")
	}
	want := map[string]float64{"old_rows": 3, "new_rows": 2, "orphans": 1}
	if got := r.values(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	for _, l := range r.families["golive_sqlcheck_value"].GetMetric()[0].GetLabel() {
		if l.GetName() == "check" && l.GetValue() != "users_migration" {
			t.Errorf("check label = %q", l.GetValue())
		}
	}
}

func TestLabelColumnsTellRowsApart(t *testing.T) {
	pool, s := migrationSchema(t)
	cfg := Config{
		Name: "rows", Postgres: "primary", Labels: []string{"table"},
		Query: fmt.Sprintf(`SELECT 'old_users' AS "table", count(*) AS rows, bool_and(name <> '') AS names_ok FROM %[1]s.old_users
			UNION ALL SELECT 'new_users', count(*), bool_and(name <> '') FROM %[1]s.new_users`, s),
	}
	r := runCheck(t, cfg, pool)
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := map[string]float64{"rows,table=old_users": 3, "rows,table=new_users": 2, "names_ok,table=old_users": 1, "names_ok,table=new_users": 1}
	if got := r.values(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("values = %v, want %v", got, want)
	}

	// Without the label the two rows collide: a clear failure, not a
	// registry error that would break the whole scrape.
	cfg.Labels = nil
	r = runCheck(t, cfg, pool)
	if r.err == nil || !strings.Contains(r.err.Error(), "repeats the labels of row 1") {
		t.Errorf("err = %v", r.err)
	}
	if r.success(t) != 0 || len(r.values()) != 0 {
		t.Errorf("failed check reported success %v and values %v", r.success(t), r.values())
	}

	cfg.Labels = []string{"tbl"}
	r = runCheck(t, cfg, pool)
	if r.err == nil || !strings.Contains(r.err.Error(), `column "tbl" is not in the result`) {
		t.Errorf("err = %v", r.err)
	}
}

func TestQueriesCannotWrite(t *testing.T) {
	pool, s := migrationSchema(t)
	for name, query := range map[string]string{
		"delete":            "DELETE FROM %s.old_users RETURNING id",
		"cte":               "WITH d AS (DELETE FROM %s.old_users RETURNING 1) SELECT count(*) FROM d",
		"second statement":  "SELECT 1; DELETE FROM %s.old_users",
		"commit and delete": "COMMIT; DELETE FROM %s.old_users",
		"leave read-only":   "SELECT set_config('transaction_read_only', 'off', false), count(*) FROM %s.old_users",
		"ddl":               "DROP TABLE %s.old_users",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := Config{Name: "evil", Postgres: "p", Query: fmt.Sprintf(query, s)}
			if strings.Contains(query, ";") {
				// Refused by the config check, before it can reach the server.
				if _, err := New(cfg, pool, slog.New(slog.DiscardHandler)); !errors.Is(err, errManyStatements) {
					t.Fatalf("New accepted %q: %v", cfg.Query, err)
				}
				return
			}
			r := runCheck(t, cfg, pool)
			if r.err == nil || r.success(t) != 0 {
				t.Errorf("write query succeeded: err %v", r.err)
			}
			var n int
			if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+s+".old_users").Scan(&n); err != nil || n != 3 {
				t.Fatalf("old_users has %d rows (%v); the query wrote", n, err)
			}
		})
	}
}

func TestTimeoutEndsTheQueryAndIsTransactionLocal(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx := testenv.Context(t, 30*time.Second)
	pool, err := pgxpool.New(ctx, dsn+"&pool_max_conns=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	start := time.Now()
	r := runCheck(t, Config{Name: "slow", Postgres: "p", Query: "SELECT 1 AS one FROM pg_sleep(10)", Timeout: 300 * time.Millisecond}, pool)
	if r.err == nil || r.success(t) != 0 {
		t.Fatalf("slow query succeeded: %v", r.err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("check took %v with a 300ms timeout", elapsed)
	}
	var timeout string
	if err := pool.QueryRow(ctx, "SHOW statement_timeout").Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout == "300ms" {
		t.Error("the check's statement_timeout outlived its transaction")
	}
}

func TestNumericConversions(t *testing.T) {
	var num pgtype.Numeric
	if err := num.Scan("12.5"); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   any
		want float64
		ok   bool
	}{
		{int16(3), 3, true}, {int32(-4), -4, true}, {int64(1 << 40), 1 << 40, true},
		{float32(0.5), 0.5, true}, {2.25, 2.25, true}, {true, 1, true}, {false, 0, true},
		{num, 12.5, true}, {ts, float64(ts.Unix()), true},
		{pgtype.Numeric{}, 0, false}, {nil, 0, false}, {"42", 0, false},
	} {
		got, ok := numeric(tc.in)
		if ok != tc.ok || (ok && math.Abs(got-tc.want) > 1e-9) {
			t.Errorf("numeric(%#v) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct{ yaml, wantErr string }{
		{"name: a\npostgres: p\nquery: SELECT 1", ""},
		{"name: a\npostgres: p\nquery: SELECT 1\nlabels: [table, shard]\ntimeout: 2s", ""},
		{"postgres: p\nquery: SELECT 1", "name: is required"},
		{"name: a\nquery: SELECT 1", "postgres: is required (the name of a postgres entry)"},
		{"name: a\npostgres: p", "query: is required"},
		{"name: a\npostgres: p\nquery: x\ntimeout: -1s", `line 4: timeout: "-1s" is not a duration`},
		{"name: a\npostgres: p\nquery: x\nlabels: [column]", `labels[0]: "column" is reserved`},
		{"name: a\npostgres: p\nquery: x\nlabels: [check]", `labels[0]: "check" is reserved`},
		{"name: a\npostgres: p\nquery: x\nlabels: [my-table]", `labels[0]: "my-table" is not a valid label name`},
		{"name: a\npostgres: p\nquery: x\nlabels: [t, t]", `labels[1]: "t" is listed twice`},
		{"name: a\npostgres: p\nquery: x\nlables: [t]", `line 4: lables: unknown field`},
	} {
		var c Config
		err := yaml.Unmarshal([]byte(tc.yaml), &c)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.yaml, err)
			} else if c.Timeout <= 0 {
				t.Errorf("%q: timeout default not applied", tc.yaml)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.wantErr)
		}
	}
}

// fakeRows is a result set with the given columns and rows; the methods
// metrics does not call are left to the nil embedded interface.
type fakeRows struct {
	pgx.Rows
	columns []string
	rows    [][]any
	next    int
}

func (r *fakeRows) FieldDescriptions() []pgconn.FieldDescription {
	fds := make([]pgconn.FieldDescription, len(r.columns))
	for i, c := range r.columns {
		fds[i].Name = c
	}
	return fds
}
func (r *fakeRows) Next() bool             { r.next++; return r.next <= len(r.rows) }
func (r *fakeRows) Values() ([]any, error) { return r.rows[r.next-1], nil }
func (r *fakeRows) Err() error             { return nil }

// A SQL_ASCII database can hand back text that is not UTF-8; as a label
// value it must fail the check, not panic the exporter.
func TestInvalidUTF8LabelFailsTheCheck(t *testing.T) {
	cfg := Config{Name: "latin1", Postgres: "p", Query: "SELECT", Labels: []string{"name"}}
	c, err := New(cfg, &pgx.Conn{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	rows := &fakeRows{columns: []string{"name", "n"}, rows: [][]any{{"caf\xe9", int64(1)}}}
	if _, err := c.(*check).metrics(rows); err == nil || !strings.Contains(err.Error(), `column "n"`) {
		t.Errorf("err = %v, want one naming the column", err)
	}
	rows = &fakeRows{columns: []string{"name", "n"}, rows: [][]any{{"café", int64(1)}}}
	if ms, err := c.(*check).metrics(rows); err != nil || len(ms) != 1 {
		t.Errorf("valid UTF-8: %d metrics, err %v", len(ms), err)
	}
}
