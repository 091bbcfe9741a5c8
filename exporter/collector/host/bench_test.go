package host

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs"
	"github.com/prometheus/procfs/blockdevice"

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

func BenchmarkStat(b *testing.B)      { benchCollectors(b, Stat) }
func BenchmarkVMStat(b *testing.B)    { benchCollectors(b, VMStat) }
func BenchmarkNetStat(b *testing.B)   { benchCollectors(b, NetStat) }
func BenchmarkSockstat(b *testing.B)  { benchCollectors(b, Sockstat) }
func BenchmarkTimex(b *testing.B)     { benchCollectors(b, Timex) }
func BenchmarkConntrack(b *testing.B) { benchCollectors(b, Conntrack) }
func BenchmarkPressure(b *testing.B)  { benchCollectors(b, Pressure) }
func BenchmarkNetclass(b *testing.B)  { benchCollectors(b, Netclass) }
func BenchmarkFilefd(b *testing.B)    { benchCollectors(b, Filefd) }
func BenchmarkEntropy(b *testing.B)   { benchCollectors(b, Entropy) }
func BenchmarkUname(b *testing.B)     { benchCollectors(b, Uname) }
func BenchmarkOS(b *testing.B)        { benchCollectors(b, OS) }

// The parsers golive keeps beside their procfs equivalents, measured on this
// machine's files: each pair is the reason for the choice (see host.go).
func BenchmarkParseProcStat(b *testing.B) {
	fs := newFS(Default.Paths)
	var scratch []cpuStat
	b.Run("golive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := fs.read(fs.procPath("stat"), func(buf []byte) (err error) {
				if scratch, err = parseProcStatCPUs(buf, scratch); err != nil {
					return err
				}
				_, err = parseProcStatTotals(buf)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("procfs", func(b *testing.B) {
		pfs := mustProcfs(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pfs.Stat(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseMeminfo(b *testing.B) {
	fs := newFS(Default.Paths)
	var names nameCache
	b.Run("golive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := fs.read(fs.procPath("meminfo"), func(buf []byte) error { _, err := parseMeminfo(buf, &names); return err }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("procfs", func(b *testing.B) {
		pfs := mustProcfs(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pfs.Meminfo(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseDiskstats(b *testing.B) {
	fs := newFS(Default.Paths)
	var names internCache
	b.Run("golive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := fs.read(fs.procPath("diskstats"), func(buf []byte) error { _, err := parseDiskstats(buf, nil, &names); return err }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("procfs", func(b *testing.B) {
		bfs, err := blockdevice.NewFS(Default.Paths.Procfs, Default.Paths.Sysfs)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bfs.ProcDiskstats(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func mustProcfs(b *testing.B) procfs.FS {
	fs, err := procfs.NewFS(Default.Paths.Procfs)
	if err != nil {
		b.Fatal(err)
	}
	return fs
}
