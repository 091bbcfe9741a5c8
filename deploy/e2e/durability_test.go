package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", to read the receiver's file
)

// The burst: distinct webhooks, each a group of alerts, posted from a few
// goroutines as Alertmanager's dispatcher would.
const (
	burstWebhooks  = 300
	burstAlerts    = 5
	burstSenders   = 4
	burstKillAfter = burstWebhooks / 3 // acknowledged webhooks before kill -9
	burstAlertName = "E2EDurability"
)

// occKey is an occurrence's identity in the store: (fingerprint, startsAt).
type occKey struct {
	fingerprint string
	startsAt    int64 // Unix nanoseconds, as the store keeps it
}

// burstWebhook builds the i-th distinct v4 payload and its occurrences.
func burstWebhook(i int, base time.Time) ([]byte, []occKey) {
	instance := fmt.Sprintf("burst-%03d", i)
	msg := amMessage{
		Version: "4", Status: "firing", Receiver: "golive",
		GroupKey:     fmt.Sprintf(`{}:{alertname=%q, instance=%q}`, burstAlertName, instance),
		GroupLabels:  map[string]string{"alertname": burstAlertName, "instance": instance},
		CommonLabels: map[string]string{"alertname": burstAlertName, "instance": instance, "severity": "warning"},
		ExternalURL:  "http://alertmanager.e2e:9093",
	}
	var keys []occKey
	for j := range burstAlerts {
		labels := map[string]string{"alertname": burstAlertName, "instance": instance, "severity": "warning", "path": fmt.Sprintf("/p%d", j)}
		h := fnv.New64a()
		fmt.Fprintf(h, "%s/%d", instance, j)
		a := amAlert{
			Status: "firing", Labels: labels, Annotations: map[string]string{"summary": "durability burst"},
			StartsAt:     base.Add(time.Duration(i*burstAlerts+j) * time.Millisecond),
			GeneratorURL: "http://prometheus.e2e:9090/graph",
			Fingerprint:  fmt.Sprintf("%016x", h.Sum64()),
		}
		msg.Alerts = append(msg.Alerts, a)
		keys = append(keys, occKey{a.Fingerprint, a.StartsAt.UnixNano()})
	}
	body, err := json.Marshal(msg)
	if err != nil {
		panic(err) // plain maps and strings always encode
	}
	return body, keys
}

// TestReceiverKeepsAcknowledgedWebhooksThroughKill9 crashes the receiver
// (SIGKILL, no shutdown) in the middle of a burst of webhooks and checks,
// after a restart on the same SQLite file, that every webhook it answered
// 200 is stored with all its occurrences; then replays the burst, as
// Alertmanager retries what was not acknowledged, and checks each
// occurrence and incident exists exactly once.
func TestReceiverKeepsAcknowledgedWebhooksThroughKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	start := time.Now()
	rcv := newReceiver(t, nil)
	rcv.start(t)

	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	bodies := make([][]byte, burstWebhooks)
	keys := make([][]occKey, burstWebhooks)
	for i := range bodies {
		bodies[i], keys[i] = burstWebhook(i, base)
	}

	acked := make([]bool, burstWebhooks)
	var ackCount atomic.Int64
	killNow := make(chan struct{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: burstSenders}}
	defer client.CloseIdleConnections()
	next := make(chan int)
	var wg sync.WaitGroup
	for range burstSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				code, err := rcv.postWebhook(context.Background(), client, bodies[i])
				if err == nil && code == http.StatusOK {
					acked[i] = true // each index has one sender; read after Wait
					if ackCount.Add(1) == burstKillAfter {
						close(killNow)
					}
				}
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range burstWebhooks {
			next <- i
		}
	}()
	select {
	case <-killNow:
		rcv.proc.kill(t)
	case <-time.After(alertTimeout):
		t.Fatalf("only %d of %d webhooks answered 200 within %s", ackCount.Load(), burstWebhooks, alertTimeout)
	}
	wg.Wait()
	n := int(ackCount.Load())
	if n >= burstWebhooks {
		t.Fatalf("all %d webhooks were answered before the kill landed: the crash was not mid-burst", n)
	}
	t.Logf("kill -9 after %d acknowledged webhooks; %d answered 200 in all, %d not", burstKillAfter, n, burstWebhooks-n)

	rcv.start(t)
	stored := storedOccurrences(t, rcv.dbPath)
	missing := 0
	for i, ok := range acked {
		if !ok {
			continue
		}
		for _, k := range keys[i] {
			if !stored[k] {
				missing++
				if missing <= 5 {
					t.Errorf("webhook %d was answered 200 but occurrence %s@%d is not in the store", i, k.fingerprint, k.startsAt)
				}
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d occurrences of acknowledged webhooks lost in the crash", missing)
	}

	// Alertmanager retries what it has no 2xx for; replays of the rest are
	// no-ops. Afterwards everything is there, once.
	for i, body := range bodies {
		code, err := rcv.postWebhook(context.Background(), client, body)
		if err != nil || code != http.StatusOK {
			t.Fatalf("replaying webhook %d: status %d, %v", i, code, err)
		}
	}
	stored = storedOccurrences(t, rcv.dbPath)
	for i := range keys {
		for _, k := range keys[i] {
			if !stored[k] {
				t.Fatalf("webhook %d replayed with 200 but occurrence %s is not stored", i, k.fingerprint)
			}
		}
	}
	if got, want := countBurstOccurrences(t, rcv.dbPath), burstWebhooks*burstAlerts; got != want {
		t.Errorf("%d %s occurrence rows; want exactly %d (one per alert, whatever was replayed)", got, burstAlertName, want)
	}
	incidents, err := rcv.incidents()
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	for _, inc := range incidents {
		if inc.Labels["alertname"] == burstAlertName {
			groups[inc.Labels["instance"]]++
		}
	}
	for g, c := range groups {
		if c != 1 {
			t.Errorf("group %s has %d incidents; want 1", g, c)
		}
	}
	if len(groups) != burstWebhooks {
		t.Errorf("%d burst groups have incidents; want %d", len(groups), burstWebhooks)
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// openStoreReadOnly opens the receiver's SQLite file without writing to it
// (the receiver may be running).
func openStoreReadOnly(t *testing.T, path string) *sql.DB {
	t.Helper()
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storedOccurrences reads every occurrence key of the burst from the
// receiver's occurrences table (schema: receiver/store/sqlstore/migrations).
func storedOccurrences(t *testing.T, path string) map[occKey]bool {
	t.Helper()
	db := openStoreReadOnly(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT fingerprint, starts_at FROM occurrences WHERE alertname = ?`, burstAlertName)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[occKey]bool{}
	for rows.Next() {
		var k occKey
		if err := rows.Scan(&k.fingerprint, &k.startsAt); err != nil {
			t.Fatal(err)
		}
		out[k] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func countBurstOccurrences(t *testing.T, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int
	if err := openStoreReadOnly(t, path).QueryRowContext(ctx, `SELECT COUNT(*) FROM occurrences WHERE alertname = ?`, burstAlertName).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
