package incident

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/storetest"
	"github.com/golive-ops/golive/receiver/webhook"
)

var seq atomic.Int64

// batchOf returns a webhook of n new alerts spread over groups services,
// encoded as Alertmanager would send it.
func batchOf(n, groups int) (*webhook.Message, []byte) {
	id := seq.Add(1)
	alerts := make([]template.Alert, n)
	for i := range alerts {
		alerts[i] = firing(fmt.Sprintf("%x-%d", id, i), "HTTPErrorRateHigh", t0,
			map[string]string{"service": fmt.Sprint("svc", i%groups), "instance": fmt.Sprint("host", i)}, "0.3")
	}
	return msg(peerA, "", alerts...)
}

func benchEngine(b *testing.B, s store.Store) *Engine {
	n := OutboxNotifier{Route: func(Change) []string { return []string{"slack", "email"} }}
	e, err := buildEngine(testConfig(), s, func() time.Time { return t0 }, n)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkIngestWebhook10: one durable commit per 10-alert webhook.
// senders=1: ns/op is the per-webhook latency; senders=8: concurrent
// webhooks as Alertmanager sends different groups. alerts/s is the
// throughput (target ≥ 3000 on SQLite).
func BenchmarkIngestWebhook10(b *testing.B) {
	for _, be := range storetest.Backends {
		b.Run(be.Name+"/senders=1", func(b *testing.B) {
			s := be.Open(b)
			e := benchEngine(b, s)
			for b.Loop() {
				b.StopTimer()
				m, raw := batchOf(10, 3)
				b.StartTimer()
				if _, err := e.Ingest(context.Background(), m, raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "alerts/s")
		})
		b.Run(be.Name+"/senders=8", func(b *testing.B) {
			s := be.Open(b)
			e := benchEngine(b, s)
			b.SetParallelism(4) // × GOMAXPROCS goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					m, raw := batchOf(10, 3)
					if _, err := e.Ingest(context.Background(), m, raw); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "alerts/s")
		})
	}
}

// BenchmarkIngestStorm10k: one webhook of 10,000 new alerts over 100
// groups; ns/op is the time to a durable commit (target < 2s).
func BenchmarkIngestStorm10k(b *testing.B) {
	for _, be := range storetest.Backends {
		b.Run(be.Name, func(b *testing.B) {
			s := be.Open(b)
			e := benchEngine(b, s)
			for b.Loop() {
				b.StopTimer()
				m, raw := batchOf(10000, 100)
				b.StartTimer()
				if _, err := e.Ingest(context.Background(), m, raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(time.Second), "s/storm")
		})
	}
}
