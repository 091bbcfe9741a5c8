package redis

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/golive-ops/golive/internal/testenv"
)

// updateOnce adapts Update to a prometheus.Collector for one gather.
type updateOnce struct {
	c   *Collector
	ctx context.Context
	err *error
}

func (u updateOnce) Describe(chan<- *prometheus.Desc) {}
func (u updateOnce) Collect(ch chan<- prometheus.Metric) {
	*u.err = u.c.Update(u.ctx, ch)
}

func scrape(t *testing.T, ctx context.Context, c *Collector) (samples, error) {
	t.Helper()
	var err error
	s := gather(t, updateOnce{c: c, ctx: ctx, err: &err})
	return s, err
}

func newCollector(t *testing.T, cfg Config, opts ...Option) *Collector {
	t.Helper()
	c, err := New(cfg, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHungServerReportsDownByTheDeadline(t *testing.T) {
	cfg := DefaultConfig
	cfg.Name, cfg.Address, cfg.Timeout = "hung", testenv.SilentListener(t), 30*time.Second
	c := newCollector(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	got, err := scrape(t, ctx, c)
	elapsed := time.Since(start)

	if err == nil {
		t.Fatal("Update returned nil for a server that never answers")
	}
	if elapsed > 5*time.Second { // far below the 30s timeout, with room for a loaded machine
		t.Errorf("Update took %s; it must return soon after the 300ms deadline", elapsed)
	}
	if v, ok := got.values[`redis_up{server="hung"}`]; !ok || v != 0 {
		t.Errorf("redis_up = %v (present %v), want 0", v, ok)
	}
}

func TestRefusedConnectionReportsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := DefaultConfig
	cfg.Name, cfg.Address = "gone", addr
	c := newCollector(t, cfg)
	got, err := scrape(t, testenv.Context(t, 5*time.Second), c)
	if err == nil || got.values[`redis_up{server="gone"}`] != 0 {
		t.Fatalf("err = %v, redis_up = %v; want an error and 0", err, got.values[`redis_up{server="gone"}`])
	}
	if len(got.values) != 1 {
		t.Errorf("a failed scrape emitted %d series, want only redis_up", len(got.values))
	}
}

func localClient(t *testing.T, addr string, db int) *goredis.Client {
	t.Helper()
	rc := goredis.NewClient(&goredis.Options{Addr: addr, DB: db, Protocol: 2, DisableIdentity: true, MaintNotificationsConfig: disabledMaintNotifications()})
	t.Cleanup(func() { rc.Close() })
	return rc
}

func TestAgainstLocalRedis(t *testing.T) {
	addr := testenv.RedisAddr(t)
	ctx := testenv.Context(t, 30*time.Second)
	const db = 11 // a database no other test of ours writes to
	rc := localClient(t, addr, db)
	prefix := fmt.Sprintf("golive:test:%d:", time.Now().UnixNano())
	t.Cleanup(func() {
		keys, _ := rc.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			rc.Del(context.Background(), keys...)
		}
	})

	cfg := DefaultConfig
	cfg.Name, cfg.Address = "local", addr
	c := newCollector(t, cfg)

	before, err := scrape(t, ctx, c)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	if before.values[`redis_up{server="local"}`] != 1 {
		t.Fatalf("redis_up = %v, want 1", before.values[`redis_up{server="local"}`])
	}

	const n = 50
	for i := range n {
		if err := rc.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		_ = i
	}
	for i := range 3 {
		if err := rc.Set(ctx, fmt.Sprintf("%s%d", prefix, i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rc.Set(ctx, prefix+"expiring", "v", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	rc.Get(ctx, prefix+"0")       // a hit
	rc.Get(ctx, prefix+"missing") // a miss

	after, err := scrape(t, ctx, c)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	key := func(name string) string { return name + `{server="local"}` }
	if d := after.values[key("redis_commands_processed_total")] - before.values[key("redis_commands_processed_total")]; d < n+6 {
		t.Errorf("redis_commands_processed_total rose by %v after %d commands", d, n+6)
	}
	if d := after.values[`redis_commands_total{cmd="ping",server="local"}`] - before.values[`redis_commands_total{cmd="ping",server="local"}`]; d < n {
		t.Errorf("redis_commands_total{cmd=ping} rose by %v after %d PINGs", d, n)
	}
	if after.values[key("redis_keyspace_hits_total")] <= before.values[key("redis_keyspace_hits_total")] ||
		after.values[key("redis_keyspace_misses_total")] <= before.values[key("redis_keyspace_misses_total")] {
		t.Error("keyspace hits and misses did not both rise")
	}

	// The values must be what INFO says right now for fields that do not move.
	info, err := rc.Info(ctx, "keyspace", "server", "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	fields := infoMap(info)
	dbKey := fmt.Sprintf(`redis_db_keys{db="db%d",server="local"}`, db)
	want := keyspaceKeys(t, fields[fmt.Sprintf("db%d", db)])
	if after.values[dbKey] != want.keys || want.keys < 4 {
		t.Errorf("%s = %v, INFO says %v (we set 4)", dbKey, after.values[dbKey], want.keys)
	}
	expKey := fmt.Sprintf(`redis_db_keys_expiring{db="db%d",server="local"}`, db)
	if after.values[expKey] != want.expires || want.expires < 1 {
		t.Errorf("%s = %v, INFO says %v", expKey, after.values[expKey], want.expires)
	}
	infoKey := fmt.Sprintf(`redis_instance_info{master_replid=%q,maxmemory_policy=%q,os=%q,process_id=%q,redis_build_id=%q,redis_mode=%q,redis_version=%q,role=%q,run_id=%q,server="local",tcp_port=%q}`,
		fields["master_replid"], fields["maxmemory_policy"], fields["os"], fields["process_id"], fields["redis_build_id"],
		fields["redis_mode"], fields["redis_version"], "master", fields["run_id"], fields["tcp_port"])
	if _, ok := after.values[infoKey]; !ok && fields["role"] == "master" {
		t.Errorf("missing %s", infoKey)
	}
	if got := fmt.Sprint(after.values[key("redis_memory_max_bytes")]); got != fields["maxmemory"] {
		t.Errorf("redis_memory_max_bytes = %s, INFO maxmemory = %s", got, fields["maxmemory"])
	}
}

type keyspace struct{ keys, expires float64 }

func keyspaceKeys(t *testing.T, line string) keyspace {
	t.Helper()
	var k keyspace
	for part := range strings.SplitSeq(line, ",") {
		name, v, _ := strings.Cut(part, "=")
		var f float64
		fmt.Sscan(v, &f)
		switch name {
		case "keys":
			k.keys = f
		case "expires":
			k.expires = f
		}
	}
	return k
}

func infoMap(info string) map[string]string {
	m := map[string]string{}
	for line := range strings.SplitSeq(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok {
			m[k] = v
		}
	}
	return m
}

// TestAuthAgainstLocalRedis creates a throw-away ACL user, scrapes with its
// password, then with a wrong one, and checks the password never shows up in
// an error or a log line.
func TestAuthAgainstLocalRedis(t *testing.T) {
	addr := testenv.RedisAddr(t)
	ctx := testenv.Context(t, 30*time.Second)
	admin := localClient(t, addr, 0)
	user := fmt.Sprintf("golive_test_%d", time.Now().UnixNano())
	const password = "s3cret-Hunter2-do-not-leak"
	if err := admin.Do(ctx, "ACL", "SETUSER", user, "on", ">"+password, "+info", "+ping", "+hello", "+auth").Err(); err != nil {
		testenv.Unavailable(t, "cannot create an ACL user on %s: %v", addr, err)
	}
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", user) })

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, tc := range []struct {
		password string
		up       float64
	}{{password, 1}, {"wrong-" + password, 0}} {
		cfg := DefaultConfig
		cfg.Name, cfg.Address, cfg.Username, cfg.Password = "acl", addr, user, secretOf(tc.password)
		c, err := New(cfg, logger)
		if err != nil {
			t.Fatal(err)
		}
		got, err := scrape(t, ctx, c)
		c.Close()
		if got.values[`redis_up{server="acl"}`] != tc.up {
			t.Errorf("password %d: redis_up = %v, want %v (err %v)", len(tc.password), got.values[`redis_up{server="acl"}`], tc.up, err)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("error leaks the password: %v", err)
		}
		if strings.Contains(fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), password) {
			t.Error("printing the config leaks the password")
		}
	}
	if strings.Contains(logs.String(), password) {
		t.Error("logs leak the password")
	}
}
