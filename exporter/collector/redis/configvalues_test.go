package redis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/golive-ops/golive/internal/testenv"
)

// fakeRedis answers INFO with a fixed text and CONFIG GET with the given
// parameters, or with the error a server gives when CONFIG is renamed away.
// It records the commands it receives.
type fakeRedis struct {
	addr   string
	info   string
	config map[string]string // nil: CONFIG is an unknown command

	mu       sync.Mutex
	commands []string
}

func startFakeRedis(t *testing.T, info string, config map[string]string) *fakeRedis {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRedis{addr: ln.Addr().String(), info: info, config: config}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				f.serve(conn)
			}()
		}
	}()
	return f
}

func (f *fakeRedis) serve(conn net.Conn) {
	r := bufio.NewReader(conn)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		name := strings.ToUpper(args[0])
		f.mu.Lock()
		f.commands = append(f.commands, name)
		f.mu.Unlock()
		var reply string
		switch {
		case name == "INFO":
			reply = fmt.Sprintf("$%d\r\n%s\r\n", len(f.info), f.info)
		case name == "CONFIG" && f.config != nil:
			reply = fmt.Sprintf("*%d\r\n", 2*len(f.config))
			for k, v := range f.config {
				reply += fmt.Sprintf("$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(v), v)
			}
		case name == "PING":
			reply = "+PONG\r\n"
		default:
			reply = fmt.Sprintf("-ERR unknown command '%s', with args beginning with: \r\n", args[0])
		}
		if _, err := conn.Write([]byte(reply)); err != nil {
			return
		}
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad array header %q", line)
	}
	args := make([]string, n)
	for i := range args {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		arg, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args[i] = strings.TrimSuffix(arg, "\r\n")
	}
	return args, nil
}

func (f *fakeRedis) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.commands {
		if c == name {
			n++
		}
	}
	return n
}

// Redis 6's INFO has maxmemory but not maxclients: CONFIG GET fills in
// maxclients, and from the second scrape on it travels with INFO.
func TestConfigValuesFromConfigGetWhenInfoLacksThem(t *testing.T) {
	f := startFakeRedis(t, readFixture(t, "redis6-primary.info"), map[string]string{"maxclients": "4064", "maxmemory": "999", "maxmemory-policy": "allkeys-lru"})
	cfg := DefaultConfig
	cfg.Name, cfg.Address = "r6", f.addr
	c := newCollector(t, cfg)
	ctx := testenv.Context(t, 20*time.Second)
	for i := range 3 {
		got, err := scrape(t, ctx, c)
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		if v, ok := got.values[`redis_config_maxclients{server="r6"}`]; !ok || v != 4064 {
			t.Errorf("scrape %d: redis_config_maxclients = %v (present %v), want 4064 from CONFIG GET", i, v, ok)
		}
		// INFO's maxmemory wins: it is the value INFO and CONFIG share.
		if v, ok := got.values[`redis_config_maxmemory{server="r6"}`]; !ok || v != 0 {
			t.Errorf("scrape %d: redis_config_maxmemory = %v (present %v), want INFO's 0", i, v, ok)
		}
	}
	if n := f.count("CONFIG"); n != 3 {
		t.Errorf("CONFIG sent %d times in 3 scrapes, want 3", n)
	}
}

// A managed Redis that forbids CONFIG: the scrape succeeds, redis_config_*
// that INFO lacks are absent, and CONFIG is not asked again.
func TestConfigValuesSilentlyAbsentWhenConfigIsForbidden(t *testing.T) {
	f := startFakeRedis(t, readFixture(t, "redis6-primary.info"), nil)
	cfg := DefaultConfig
	cfg.Name, cfg.Address = "managed", f.addr
	c := newCollector(t, cfg)
	ctx := testenv.Context(t, 20*time.Second)
	for i := range 3 {
		got, err := scrape(t, ctx, c)
		if err != nil {
			t.Fatalf("scrape %d failed on a server that forbids CONFIG: %v", i, err)
		}
		if got.values[`redis_up{server="managed"}`] != 1 {
			t.Errorf("scrape %d: redis_up = %v", i, got.values[`redis_up{server="managed"}`])
		}
		if _, ok := got.values[`redis_config_maxclients{server="managed"}`]; ok {
			t.Errorf("scrape %d: redis_config_maxclients reported without INFO or CONFIG having it", i)
		}
		if _, ok := got.values[`redis_config_maxmemory{server="managed"}`]; !ok {
			t.Errorf("scrape %d: redis_config_maxmemory missing although INFO has maxmemory", i)
		}
	}
	if n := f.count("CONFIG"); n != 1 {
		t.Errorf("CONFIG sent %d times, want once: a refusal is remembered", n)
	}
	if n := f.count("INFO"); n != 3 {
		t.Errorf("INFO sent %d times in 3 scrapes", n)
	}
}

// A real redis-server with CONFIG renamed away: Redis 7's INFO has both
// values, so the metrics are there and equal what the server reports.
func TestConfigValuesWithConfigRenamedAway(t *testing.T) {
	bin := testenv.Tool(t, "REDIS_SERVER", "redis-server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx := testenv.Context(t, 30*time.Second)
	cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(),
		"--maxclients", "77", "--maxmemory", "12345678", "--rename-command", "CONFIG", "")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	rc := goredis.NewClient(&goredis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	for rc.Ping(ctx).Err() != nil {
		if ctx.Err() != nil {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := rc.ConfigGet(ctx, "maxclients").Err(); err == nil {
		t.Fatal("CONFIG still works; the test needs a server that refuses it")
	}

	cfg := DefaultConfig
	cfg.Name, cfg.Address = "renamed", addr
	c := newCollector(t, cfg)
	for i := range 2 {
		got, err := scrape(t, ctx, c)
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		if v := got.values[`redis_config_maxclients{server="renamed"}`]; v != 77 {
			t.Errorf("redis_config_maxclients = %v, want 77", v)
		}
		if v := got.values[`redis_config_maxmemory{server="renamed"}`]; v != 12345678 {
			t.Errorf("redis_config_maxmemory = %v, want 12345678", v)
		}
	}
}
