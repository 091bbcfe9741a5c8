package prober

import (
	"context"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// targetCache keeps one collector (with its connections) per target and
// module settings between probes, so that a probe every 15s reuses its
// connection instead of connecting and authenticating anew. Probers keep one
// as package state because a ProbeFn has nowhere else to keep it; it is
// bounded in size and idle time.
type targetCache[C io.Closer] struct {
	mu      sync.Mutex
	max     int
	idle    time.Duration
	entries map[string]*cacheEntry[C]
}

type cacheEntry[C io.Closer] struct {
	c        C
	inUse    int
	lastUsed time.Time
}

func newTargetCache[C io.Closer](limit int, idle time.Duration) *targetCache[C] {
	return &targetCache[C]{max: limit, idle: idle, entries: map[string]*cacheEntry[C]{}}
}

// acquire returns the collector cached under key, building it on first use
// (build must not touch the network), and a func to call when the probe is
// done with it. Keys must tell apart every setting that changes the
// collector, with secrets entering only as hashes.
func (cc *targetCache[C]) acquire(key string, build func() (C, error)) (C, func(), error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	now := time.Now()
	e, ok := cc.entries[key]
	if !ok {
		cc.evictLocked(now)
		c, err := build()
		if err != nil {
			var zero C
			return zero, nil, err
		}
		e = &cacheEntry[C]{c: c}
		cc.entries[key] = e
	}
	e.inUse++
	e.lastUsed = now
	return e.c, func() {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		e.inUse--
		e.lastUsed = time.Now()
	}, nil
}

// evictLocked closes collectors idle for too long and, while the cache is
// full, the least recently used idle ones. Collectors in use are never
// closed, so a burst of concurrent targets may exceed the bound until they
// finish. Close may wait for connections to come back (pgx), so it runs
// outside the lock.
func (cc *targetCache[C]) evictLocked(now time.Time) {
	var idle []string
	for key, e := range cc.entries {
		switch {
		case e.inUse > 0:
		case now.Sub(e.lastUsed) > cc.idle:
			cc.closeLocked(key)
		default:
			idle = append(idle, key)
		}
	}
	slices.SortFunc(idle, func(a, b string) int { return cc.entries[a].lastUsed.Compare(cc.entries[b].lastUsed) })
	for _, key := range idle {
		if len(cc.entries) < cc.max {
			return
		}
		cc.closeLocked(key)
	}
}

func (cc *targetCache[C]) closeLocked(key string) {
	go cc.entries[key].c.Close()
	delete(cc.entries, key)
}

// len reports how many collectors are cached (for tests).
func (cc *targetCache[C]) len() int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return len(cc.entries)
}

// gatherUpdate runs update under the probe's context and returns what it
// emitted: Collect has no context, so a probe gathers first and registers
// the result as a metricList.
func gatherUpdate(ctx context.Context, update func(context.Context, chan<- prometheus.Metric) error) ([]prometheus.Metric, error) {
	ch := make(chan prometheus.Metric, 64)
	var metrics []prometheus.Metric
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := range ch {
			metrics = append(metrics, m)
		}
	}()
	err := update(ctx, ch)
	close(ch)
	<-done
	return metrics, err
}

// metricList is an unchecked collector that replays gathered metrics.
type metricList []prometheus.Metric

func (l metricList) Describe(chan<- *prometheus.Desc) {}

func (l metricList) Collect(ch chan<- prometheus.Metric) {
	for _, m := range l {
		ch <- m
	}
}
