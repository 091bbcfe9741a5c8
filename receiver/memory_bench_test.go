package receiver

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/receiver/webhook"
)

// largeWebhook is a body of about size bytes: alerts of ~1.6 KB, as the
// outside audit sent them.
func largeWebhook(b *testing.B, id string, size int) []byte {
	m := webhook.Message{Version: "4", GroupKey: "{}:{}"}
	m.Receiver, m.Status = "golive", "firing"
	pad := strings.Repeat("x", 1400)
	starts := time.Now().Add(-time.Minute)
	for i := range size / 1750 {
		m.Alerts = append(m.Alerts, template.Alert{Status: "firing", Fingerprint: fmt.Sprintf("%s-%05d", id, i), StartsAt: starts,
			Labels:      map[string]string{"alertname": "Big", "instance": fmt.Sprintf("h%05d", i%500)},
			Annotations: map[string]string{"description": pad}})
	}
	body, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// peakHeap samples the live heap until stop is closed.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// BenchmarkConcurrentLargeWebhooks posts four 32 MiB webhooks at once
// through HTTP to the receiver on SQLite and reports the peak live heap,
// with the default in-flight budget (32 MiB), twice that, and none.
func BenchmarkConcurrentLargeWebhooks(b *testing.B) {
	for _, c := range []struct {
		name   string
		budget int64
	}{{"budget=32MiB", 32 << 20}, {"budget=64MiB", 64 << 20}, {"unbounded", 1 << 40}} {
		b.Run(c.name, func(b *testing.B) {
			cfg := demoConfig(b)
			cfg.Webhook.MaxInFlightBytes = c.budget
			cfg.Storage.Timeout = model.Duration(5 * time.Minute) // measure memory, not the wait
			app, err := New(context.Background(), Options{Config: cfg})
			if err != nil {
				b.Fatal(err)
			}
			defer app.Close()
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- app.Serve(ctx, l) }()
			defer func() { cancel(); <-done }()
			url := "http://" + l.Addr().String() + DefaultWebhookPath
			var worst uint64
			for i := range b.N {
				bodies := make([][]byte, 4)
				for j := range bodies {
					bodies[j] = largeWebhook(b, fmt.Sprintf("i%dw%d", i, j), 32<<20-4096)
				}
				runtime.GC()
				stop := make(chan struct{})
				peak := peakHeap(stop)
				var wg sync.WaitGroup
				for _, body := range bodies {
					wg.Go(func() {
						if code, msg := post(b, url, body); code != 200 {
							b.Errorf("status %d: %.200s", code, msg)
						}
					})
				}
				wg.Wait()
				close(stop)
				// The bodies held here are the client's, not the receiver's.
				worst = max(worst, <-peak-uint64(4*len(bodies[0])))
			}
			b.ReportMetric(float64(worst)/(1<<20), "peak-heap-MiB")
		})
	}
}
