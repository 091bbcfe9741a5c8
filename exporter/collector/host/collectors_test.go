package host

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/golive-ops/golive/exporter/collector"
)

func compare(t *testing.T, c collector.Collector, want string, names ...string) {
	t.Helper()
	a := &asPrometheus{ctx: t.Context(), cs: []collector.Collector{c}}
	if err := testutil.CollectAndCompare(a, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if len(a.errs) > 0 {
		t.Errorf("Update: %v", a.errs)
	}
}

func TestCPUFixture(t *testing.T) {
	compare(t, newFixtureCollector(t, CPU), `
# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 385.07
node_cpu_seconds_total{cpu="0",mode="iowait"} 0.46
node_cpu_seconds_total{cpu="0",mode="irq"} 0
node_cpu_seconds_total{cpu="0",mode="nice"} 0
node_cpu_seconds_total{cpu="0",mode="softirq"} 0.22
node_cpu_seconds_total{cpu="0",mode="steal"} 0.2
node_cpu_seconds_total{cpu="0",mode="system"} 28.19
node_cpu_seconds_total{cpu="0",mode="user"} 76.03
node_cpu_seconds_total{cpu="1",mode="idle"} 370.4
node_cpu_seconds_total{cpu="1",mode="iowait"} 3.69
node_cpu_seconds_total{cpu="1",mode="irq"} 0.01
node_cpu_seconds_total{cpu="1",mode="nice"} 0.03
node_cpu_seconds_total{cpu="1",mode="softirq"} 0.83
node_cpu_seconds_total{cpu="1",mode="steal"} 0.24
node_cpu_seconds_total{cpu="1",mode="system"} 35.35
node_cpu_seconds_total{cpu="1",mode="user"} 80.15
# HELP node_cpu_guest_seconds_total Seconds the CPUs spent in guests (VMs) for each mode.
# TYPE node_cpu_guest_seconds_total counter
node_cpu_guest_seconds_total{cpu="0",mode="nice"} 0
node_cpu_guest_seconds_total{cpu="0",mode="user"} 0
node_cpu_guest_seconds_total{cpu="1",mode="nice"} 0.02
node_cpu_guest_seconds_total{cpu="1",mode="user"} 0.07
`)
}

// writeProc writes one file of a throw-away procfs and returns its root.
func writeProc(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCPUCountersNeverGoBackwards(t *testing.T) {
	dir := t.TempDir()
	c := newCPUCollector(newFS(Paths{Procfs: dir}), slog.New(slog.DiscardHandler))
	steps := []struct {
		stat       string
		wantIowait float64
		wantIdle   float64
	}{
		{"cpu0 100 0 100 100000 500 0 0 0 0 0\n", 5, 1000},
		// iowait steps back by a tick: the exported counter holds.
		{"cpu0 101 0 100 100010 499 0 0 0 0 0\n", 5, 1000.1},
		{"cpu0 102 0 100 100020 510 0 0 0 0 0\n", 5.1, 1000.2},
		// idle drops by 5 s: a hot-plugged CPU, so its history restarts.
		{"cpu0 1 0 1 99500 2 0 0 0 0 0\n", 0.02, 995},
	}
	for i, s := range steps {
		writeProc(t, dir, "stat", s.stat)
		mfs := gather(t, c)
		if got := value(t, mfs, "node_cpu_seconds_total", "cpu", "0", "mode", "iowait"); got != s.wantIowait {
			t.Errorf("step %d: iowait = %v, want %v", i, got, s.wantIowait)
		}
		if got := value(t, mfs, "node_cpu_seconds_total", "cpu", "0", "mode", "idle"); got != s.wantIdle {
			t.Errorf("step %d: idle = %v, want %v", i, got, s.wantIdle)
		}
	}
}

func TestCPUOfflineKeepsLastValues(t *testing.T) {
	dir := t.TempDir()
	c := newCPUCollector(newFS(Paths{Procfs: dir}), slog.New(slog.DiscardHandler))
	writeProc(t, dir, "stat", "cpu0 100 0 0 0 0 0 0 0 0 0\ncpu1 200 0 0 0 0 0 0 0 0 0\n")
	gather(t, c)
	writeProc(t, dir, "stat", "cpu0 150 0 0 0 0 0 0 0 0 0\n")
	if got := testutil.CollectAndCount(&asPrometheus{ctx: t.Context(), cs: []collector.Collector{c}}, "node_cpu_seconds_total"); got != 16 {
		t.Errorf("got %d node_cpu_seconds_total series after cpu1 went offline, want 16 (8 modes x 2 CPUs)", got)
	}
}

func TestLoadavgFixture(t *testing.T) {
	compare(t, newFixtureCollector(t, Loadavg), `
# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.31
# HELP node_load5 5m load average.
# TYPE node_load5 gauge
node_load5 0.51
# HELP node_load15 15m load average.
# TYPE node_load15 gauge
node_load15 0.27
`)
}

func TestMeminfoFixture(t *testing.T) {
	compare(t, newFixtureCollector(t, Meminfo), `
# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.
# TYPE node_memory_MemTotal_bytes gauge
node_memory_MemTotal_bytes 2.5276510208e+10
# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes 2.4516333568e+10
# HELP node_memory_Active_anon_bytes Memory information field Active_anon_bytes.
# TYPE node_memory_Active_anon_bytes gauge
node_memory_Active_anon_bytes 2.7717632e+07
# HELP node_memory_SwapFree_bytes Memory information field SwapFree_bytes.
# TYPE node_memory_SwapFree_bytes gauge
node_memory_SwapFree_bytes 1.073152e+09
# HELP node_memory_HugePages_Total Memory information field HugePages_Total.
# TYPE node_memory_HugePages_Total gauge
node_memory_HugePages_Total 4
`, "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes", "node_memory_Active_anon_bytes",
		"node_memory_SwapFree_bytes", "node_memory_HugePages_Total")
	if n := len(gather(t, newFixtureCollector(t, Meminfo))); n != 12 {
		t.Errorf("got %d node_memory families, want one per meminfo line (12)", n)
	}
}

func TestDiskstatsFixture(t *testing.T) {
	// Partitions (vda1, nvme0n1p1) and loop devices are excluded by default;
	// sdb has only the 11 columns of kernels before 4.18, so no discard or
	// flush series; nvme0n1 has 15 (no flush).
	compare(t, newFixtureCollector(t, Diskstats), `
# HELP node_disk_read_bytes_total The total number of bytes read successfully.
# TYPE node_disk_read_bytes_total counter
node_disk_read_bytes_total{device="nvme0n1"} 40960
node_disk_read_bytes_total{device="sdb"} 1536
node_disk_read_bytes_total{device="vda"} 1.30324992e+09
# HELP node_disk_io_time_seconds_total Total seconds spent doing I/Os.
# TYPE node_disk_io_time_seconds_total counter
node_disk_io_time_seconds_total{device="nvme0n1"} 0.012
node_disk_io_time_seconds_total{device="sdb"} 0.01
node_disk_io_time_seconds_total{device="vda"} 8.2
# HELP node_disk_io_now The number of I/Os currently in progress.
# TYPE node_disk_io_now gauge
node_disk_io_now{device="nvme0n1"} 1
node_disk_io_now{device="sdb"} 9
node_disk_io_now{device="vda"} 0
# HELP node_disk_discards_completed_total The total number of discards completed successfully.
# TYPE node_disk_discards_completed_total counter
node_disk_discards_completed_total{device="nvme0n1"} 0
node_disk_discards_completed_total{device="vda"} 12292
# HELP node_disk_flush_requests_total The total number of flush requests completed successfully
# TYPE node_disk_flush_requests_total counter
node_disk_flush_requests_total{device="vda"} 5648
# HELP node_disk_written_bytes_total The total number of bytes written successfully.
# TYPE node_disk_written_bytes_total counter
node_disk_written_bytes_total{device="nvme0n1"} 81920
node_disk_written_bytes_total{device="sdb"} 3584
node_disk_written_bytes_total{device="vda"} 3.511160832e+09
# HELP node_disk_write_time_seconds_total This is the total number of seconds spent by all writes.
# TYPE node_disk_write_time_seconds_total counter
node_disk_write_time_seconds_total{device="nvme0n1"} 0.009000000000000001
node_disk_write_time_seconds_total{device="sdb"} 0.008
node_disk_write_time_seconds_total{device="vda"} 15.512
`, "node_disk_read_bytes_total", "node_disk_io_time_seconds_total", "node_disk_io_now",
		"node_disk_discards_completed_total", "node_disk_flush_requests_total",
		"node_disk_written_bytes_total", "node_disk_write_time_seconds_total")
}

func TestNetdevFixture(t *testing.T) {
	// lo and the container veth are excluded by default.
	compare(t, newFixtureCollector(t, Netdev), `
# HELP node_network_receive_bytes_total Network device statistic receive_bytes.
# TYPE node_network_receive_bytes_total counter
node_network_receive_bytes_total{device="eth0"} 4.05698395e+08
node_network_receive_bytes_total{device="wlan0"} 1.8446744073709552e+19
# HELP node_network_receive_drop_total Network device statistic receive_drop.
# TYPE node_network_receive_drop_total counter
node_network_receive_drop_total{device="eth0"} 2
node_network_receive_drop_total{device="wlan0"} 0
# HELP node_network_transmit_colls_total Network device statistic transmit_colls.
# TYPE node_network_transmit_colls_total counter
node_network_transmit_colls_total{device="eth0"} 10
node_network_transmit_colls_total{device="wlan0"} 0
# HELP node_network_transmit_compressed_total Network device statistic transmit_compressed.
# TYPE node_network_transmit_compressed_total counter
node_network_transmit_compressed_total{device="eth0"} 12
node_network_transmit_compressed_total{device="wlan0"} 0
`, "node_network_receive_bytes_total", "node_network_receive_drop_total",
		"node_network_transmit_colls_total", "node_network_transmit_compressed_total")
	if n := len(gather(t, newFixtureCollector(t, Netdev))); n != 16 {
		t.Errorf("got %d node_network families, want 16", n)
	}
}

func TestTimeFixture(t *testing.T) {
	cfg := fixtureConfig()
	c := newTimeCollector(newFS(cfg.Paths), slog.New(slog.DiscardHandler))
	// node_exporter's float64(UnixNano())/1e9, rounding included.
	c.now = func() time.Time { return time.Unix(1795317530, 250e6).In(time.FixedZone("CET", 3600)) }
	compare(t, c, `
# HELP node_time_seconds System time in seconds since epoch (1970).
# TYPE node_time_seconds gauge
node_time_seconds 1.7953175302499998e+09
# HELP node_time_zone_offset_seconds System time zone offset in seconds.
# TYPE node_time_zone_offset_seconds gauge
node_time_zone_offset_seconds{time_zone="CET"} 3600
# HELP node_time_clocksource_available_info Available clocksources read from '/sys/devices/system/clocksource'.
# TYPE node_time_clocksource_available_info gauge
node_time_clocksource_available_info{clocksource="kvm-clock",device="0"} 1
node_time_clocksource_available_info{clocksource="tsc",device="0"} 1
# HELP node_time_clocksource_current_info Current clocksource read from '/sys/devices/system/clocksource'.
# TYPE node_time_clocksource_current_info gauge
node_time_clocksource_current_info{clocksource="tsc",device="0"} 1
`)
}

func TestTimeWithoutSysfsStillReportsClock(t *testing.T) {
	cfg := fixtureConfig()
	cfg.Paths.Sysfs = t.TempDir()
	c := newTimeCollector(newFS(cfg.Paths), slog.New(slog.DiscardHandler))
	mfs := gather(t, c)
	for _, name := range []string{"node_time_seconds", "node_time_zone_offset_seconds"} {
		if mfs[name] == nil {
			t.Errorf("%s missing without sysfs", name)
		}
	}
}

func TestMissingProcFileIsAnError(t *testing.T) {
	cfg := fixtureConfig()
	cfg.Paths.Procfs = t.TempDir()
	cs, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Kernel features that may be absent (no IPv6, no nf_conntrack, no
	// PSI): node_exporter reports nothing for them, and neither do we.
	optional := []string{Sockstat, Conntrack, Pressure, Schedstat}
	// Sources outside procfs.
	notProc := []string{Time, Timex, Netclass, Uname, OS, Textfile}
	for _, c := range members(cs) {
		ch := make(chan prometheus.Metric, 1000)
		err := c.Update(t.Context(), ch)
		close(ch)
		switch {
		case slices.Contains(notProc, c.Name()):
		case slices.Contains(optional, c.Name()):
			if err != nil {
				t.Errorf("%s: Update with an empty procfs: %v, want no error", c.Name(), err)
			}
			for m := range ch {
				if d := m.Desc().String(); !strings.Contains(d, "node_scrape_collector_") {
					t.Errorf("%s: Update with an empty procfs sent %s", c.Name(), d)
				}
			}
		case err == nil:
			t.Errorf("%s: Update with an empty procfs returned no error", c.Name())
		}
	}
}

func TestMalformedProcFilesAreErrors(t *testing.T) {
	for _, tt := range []struct{ name, file, content string }{
		{Netdev, "net/dev", "h1\nh2\n  eth0: 1 2 x\n"},
		{Loadavg, "loadavg", "0.1 nope\n"},
		{Filefd, "sys/fs/file-nr", "12\n"},
		{VMStat, "vmstat", "pgfault many\n"},
	} {
		dir := t.TempDir()
		writeProc(t, dir, tt.file, tt.content)
		cfg := fixtureConfig()
		cfg.Paths.Procfs = dir
		cfg.Collectors = []string{tt.name}
		cs, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := cs[0].Update(t.Context(), make(chan prometheus.Metric, 100)); err == nil {
			t.Errorf("%s: Update accepted %s = %q", tt.name, tt.file, tt.content)
		}
	}
}
