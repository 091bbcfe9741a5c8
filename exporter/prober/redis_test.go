package prober

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	redisc "github.com/golive-ops/golive/exporter/collector/redis"
	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/testenv"
	"github.com/prometheus/client_golang/prometheus"
)

func TestProbeRedisLocal(t *testing.T) {
	addr := testenv.RedisAddr(t)
	ok, got, _ := runProbe(t, ProbeRedis, addr, Module{Prober: "redis", Timeout: 5 * time.Second}, 5*time.Second)
	if !ok || got["redis_up"] != 1 {
		t.Fatalf("ok = %v, redis_up = %v", ok, got["redis_up"])
	}
	if _, has := got["redis_connected_clients"]; !has {
		t.Error("no redis_connected_clients")
	}
	for k := range got {
		if strings.Contains(k, "server=") {
			t.Fatalf("%s: /probe must not add golive's server label", k)
		}
	}
	// A second probe of the same target reuses the cached client.
	before := redisTargets.len()
	if ok, _, _ := runProbe(t, ProbeRedis, addr, Module{Prober: "redis"}, 5*time.Second); !ok {
		t.Fatal("second probe failed")
	}
	if after := redisTargets.len(); after != before {
		t.Errorf("cache grew from %d to %d for the same target and module", before, after)
	}
}

func TestProbeRedisHungServer(t *testing.T) {
	addr := silentTCP(t)
	// The module allows 30s: only the 300ms deadline can end the probe by 5s.
	ok, got, took := runProbe(t, ProbeRedis, addr, Module{Prober: "redis", Timeout: 30 * time.Second}, 300*time.Millisecond)
	if ok || took > 5*time.Second {
		t.Errorf("ok = %v after %s, want a failure at the 300ms deadline", ok, took)
	}
	if v, has := got["redis_up"]; !has || v != 0 {
		t.Errorf("redis_up = %v (present %v), want 0", v, has)
	}
}

func TestProbeRedisBadTargets(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	for _, target := range []string{"redis://:Hunter2Leak@127.0.0.1:6379", "no-port", "http://127.0.0.1:6379"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		registry := prometheus.NewRegistry()
		ok := ProbeRedis(ctx, target, Module{Prober: "redis"}, registry, logger)
		cancel()
		if ok {
			t.Errorf("%q: probe succeeded", target)
		}
		if v, has := gathered(t, registry)["redis_up"]; !has || v != 0 {
			t.Errorf("%q: redis_up = %v (present %v), want 0", target, v, has)
		}
	}
	if strings.Contains(logs.String(), "Hunter2Leak") {
		t.Errorf("logs leak the target's password: %s", logs.String())
	}
}

func TestRedisClientCacheIsBounded(t *testing.T) {
	cache := newTargetCache[*redisc.Collector](2, time.Hour)
	cfg := func(addr, pw string) redisc.Config {
		c := redisc.DefaultConfig
		c.Name, c.Address, c.Password = addr, addr, secretValue(pw)
		return c
	}
	logger := slog.New(slog.DiscardHandler)
	a, releaseA, err := acquireRedis(cache, cfg("127.0.0.1:1", ""), logger)
	if err != nil {
		t.Fatal(err)
	}
	a2, releaseA2, _ := acquireRedis(cache, cfg("127.0.0.1:1", ""), logger)
	if a != a2 {
		t.Error("same target and settings built a second client")
	}
	_, releaseB, _ := acquireRedis(cache, cfg("127.0.0.1:1", "other"), logger)
	if cache.len() != 2 {
		t.Fatalf("a different password must get its own client; cache has %d", cache.len())
	}
	// Both are in use: a third target may exceed the bound rather than
	// close a client under a running probe.
	_, releaseC, _ := acquireRedis(cache, cfg("127.0.0.1:2", ""), logger)
	if cache.len() != 3 {
		t.Fatalf("cache has %d, want 3 while all are in use", cache.len())
	}
	releaseA()
	releaseA2()
	releaseB()
	releaseC()
	// Now idle: the next new target evicts down to the bound.
	_, releaseD, _ := acquireRedis(cache, cfg("127.0.0.1:3", ""), logger)
	defer releaseD()
	if cache.len() != 2 {
		t.Errorf("cache has %d after eviction, want the bound 2", cache.len())
	}
	cache.idle = 0
	_, releaseE, _ := acquireRedis(cache, cfg("127.0.0.1:4", ""), logger)
	defer releaseE()
	if cache.len() != 2 { // D (in use) and E; the idle ones were closed
		t.Errorf("cache has %d, want 2 after idle eviction", cache.len())
	}
}

func TestRedisModuleConfig(t *testing.T) {
	modules, err := decodeModules("m:\n  prober: redis\n  redis:\n    username: mon\n    password_file: /run/pw\n    tls: true\n    tls_config: {insecure_skip_verify: true}\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := modules["m"].Redis; r.Username != "mon" || r.PasswordFile != "/run/pw" || !r.TLS || !r.TLSConfig.InsecureSkipVerify {
		t.Errorf("decoded %+v", r)
	}
	for src, want := range map[string]string{
		"m:\n  prober: redis\n  redis:\n    password: a\n    password_file: b\n": "redis.password_file: at most one",
		"m:\n  prober: redis\n  redis:\n    databases: -1\n":                     "line 4: m.redis.databases:",
		"m:\n  prober: redis\n  redis:\n    pasword: x\n":                        "m.redis.pasword: unknown field",
	} {
		if _, err := decodeModules(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

func secretValue(s string) secret.Secret { return secret.Secret(s) }
