package host

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/exporter/collector"
)

// Each benchmark runs one sub-collector against this machine's /proc and
// drains the metrics as the runner would. The whole host collection
// (BenchmarkHostAll) must stay far below the 8 ms CPU budget of a scrape.

func benchCollectors(b *testing.B, names ...string) {
	cfg := Default
	cfg.Collectors = names
	cs, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	ch := make(chan prometheus.Metric, 4096)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range cs {
			if err := c.Update(ctx, ch); err != nil {
				b.Fatal(err)
			}
		}
		drain(ch)
	}
}

func drain(ch chan prometheus.Metric) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func BenchmarkCPU(b *testing.B)        { benchCollectors(b, CPU) }
func BenchmarkLoadavg(b *testing.B)    { benchCollectors(b, Loadavg) }
func BenchmarkMeminfo(b *testing.B)    { benchCollectors(b, Meminfo) }
func BenchmarkFilesystem(b *testing.B) { benchCollectors(b, Filesystem) }
func BenchmarkDiskstats(b *testing.B)  { benchCollectors(b, Diskstats) }
func BenchmarkNetdev(b *testing.B)     { benchCollectors(b, Netdev) }
func BenchmarkTime(b *testing.B)       { benchCollectors(b, Time) }
func BenchmarkHostAll(b *testing.B)    { benchCollectors(b) }

var _ collector.Collector = (*cpuCollector)(nil)
