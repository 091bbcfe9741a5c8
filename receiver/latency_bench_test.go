package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/storetest"
	"github.com/golive-ops/golive/receiver/webhook"
)

// BenchmarkWebhookLatencyAt100PerSecond is the latency target: the
// full HTTP path (auth, decode, durable commit, grading, outbox) under a
// steady 100 webhooks/s of 10 new alerts each, as Alertmanager sends them.
// One op is 1,000 webhooks (10 s); p50-ms and p99-ms are per webhook, from
// the first byte sent to the 200.
func BenchmarkWebhookLatencyAt100PerSecond(b *testing.B) {
	for _, be := range storetest.Backends {
		b.Run(be.Name, func(b *testing.B) {
			url := serveForBench(b, be.Open(b))
			const webhooks, interval = 1000, 10 * time.Millisecond
			var lat []time.Duration
			for i := 0; i < b.N; i++ {
				lat = append(lat, paced(b, url, i, webhooks, interval)...)
			}
			slices.Sort(lat)
			ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func serveForBench(b *testing.B, s store.Store) string {
	cfg := demoConfig(b)
	app, err := New(context.Background(), Options{Config: cfg, Store: s})
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, l) }()
	b.Cleanup(func() { cancel(); <-done })
	return "http://" + l.Addr().String() + DefaultWebhookPath
}

// paced sends n webhooks, one every interval whatever the previous took
// (an open loop, so slow answers cannot hide by slowing the sender), and
// returns each one's latency.
func paced(b *testing.B, url string, round, n int, interval time.Duration) []time.Duration {
	client := &http.Client{Timeout: 10 * time.Second}
	results := make(chan time.Duration, n)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := range n {
		body := benchWebhook(b, fmt.Sprintf("r%d-w%d", round, i))
		<-tick.C
		go func() {
			start := time.Now()
			resp, err := client.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				results <- 0
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
			}
			results <- time.Since(start)
		}()
	}
	out := make([]time.Duration, 0, n)
	for range n {
		out = append(out, <-results)
	}
	return out
}

func benchWebhook(b *testing.B, id string) []byte {
	now := time.Now().UTC()
	m := webhook.Message{Version: "4", GroupKey: "{}:{alertname=\"HTTPErrorRateHigh\",service=\"" + id + "\"}"}
	m.Receiver, m.Status, m.ExternalURL = "golive", "firing", "http://am-1:9093"
	for j := range 10 {
		m.Alerts = append(m.Alerts, template.Alert{Status: "firing", Fingerprint: fmt.Sprintf("%s-%d", id, j), StartsAt: now,
			Labels:      map[string]string{"alertname": "HTTPErrorRateHigh", "service": id, "instance": fmt.Sprint("host", j)},
			Annotations: map[string]string{"value": "0.07"}})
	}
	body, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return body
}
