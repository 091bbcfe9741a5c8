package host

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/sys/unix"

	"github.com/golive-ops/golive/exporter/collector"
)

// Fixture tests for the collectors added for node_exporter parity. The
// expected values are worked out by hand from testdata/fixture with
// node_exporter's rules (the comparison against the real node_exporter is
// TestMatchesNodeExporter).

func TestStatFixture(t *testing.T) {
	compare(t, newFixtureCollector(t, Stat), `
# HELP node_boot_time_seconds Node boot time, in unixtime.
# TYPE node_boot_time_seconds gauge
node_boot_time_seconds 1.795316993e+09
# HELP node_context_switches_total Total number of context switches.
# TYPE node_context_switches_total counter
node_context_switches_total 1.40584e+06
# HELP node_forks_total Total number of forks.
# TYPE node_forks_total counter
node_forks_total 15272
# HELP node_intr_total Total number of interrupts serviced.
# TYPE node_intr_total counter
node_intr_total 693893
# HELP node_procs_blocked Number of processes blocked waiting for I/O to complete.
# TYPE node_procs_blocked gauge
node_procs_blocked 0
# HELP node_procs_running Number of processes in runnable state.
# TYPE node_procs_running gauge
node_procs_running 3
`)
}

func TestVMStatFixtureKeepsTheDefaultFields(t *testing.T) {
	// nr_free_pages and nr_dirty are outside node_exporter's default set.
	compare(t, newFixtureCollector(t, VMStat), `
# HELP node_vmstat_oom_kill /proc/vmstat information field oom_kill.
# TYPE node_vmstat_oom_kill untyped
node_vmstat_oom_kill 1
# HELP node_vmstat_pgfault /proc/vmstat information field pgfault.
# TYPE node_vmstat_pgfault untyped
node_vmstat_pgfault 50000
# HELP node_vmstat_pgmajfault /proc/vmstat information field pgmajfault.
# TYPE node_vmstat_pgmajfault untyped
node_vmstat_pgmajfault 70
# HELP node_vmstat_pgpgin /proc/vmstat information field pgpgin.
# TYPE node_vmstat_pgpgin untyped
node_vmstat_pgpgin 1000
# HELP node_vmstat_pgpgout /proc/vmstat information field pgpgout.
# TYPE node_vmstat_pgpgout untyped
node_vmstat_pgpgout 2000
# HELP node_vmstat_pswpin /proc/vmstat information field pswpin.
# TYPE node_vmstat_pswpin untyped
node_vmstat_pswpin 3
# HELP node_vmstat_pswpout /proc/vmstat information field pswpout.
# TYPE node_vmstat_pswpout untyped
node_vmstat_pswpout 4
`)
}

func TestNetStatFixture(t *testing.T) {
	c := newFixtureCollector(t, NetStat)
	mfs := gather(t, c)
	want := map[string]float64{
		"node_netstat_TcpExt_SyncookiesSent": 0, "node_netstat_TcpExt_SyncookiesRecv": 1,
		"node_netstat_TcpExt_ListenOverflows": 2, "node_netstat_TcpExt_ListenDrops": 3, "node_netstat_TcpExt_TCPTimeouts": 4,
		"node_netstat_IpExt_InOctets": 123456, "node_netstat_IpExt_OutOctets": 654321,
		"node_netstat_Ip_Forwarding": 1, "node_netstat_Tcp_ActiveOpens": 10, "node_netstat_Tcp_PassiveOpens": 20,
		"node_netstat_Tcp_CurrEstab": 5, "node_netstat_Tcp_InSegs": 300, "node_netstat_Tcp_OutSegs": 400,
		"node_netstat_Tcp_RetransSegs": 6, "node_netstat_Tcp_InErrs": 0, "node_netstat_Tcp_OutRsts": 7,
		"node_netstat_Udp_InDatagrams": 11, "node_netstat_Udp_NoPorts": 12, "node_netstat_Udp_InErrors": 13,
		"node_netstat_Udp_OutDatagrams": 14, "node_netstat_Udp_RcvbufErrors": 15, "node_netstat_Udp_SndbufErrors": 16,
		"node_netstat_Ip6_InOctets": 8192, "node_netstat_Icmp6_InMsgs": 2, "node_netstat_Udp6_InDatagrams": 5,
	}
	for name, v := range want {
		if got := value(t, mfs, name); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
		if typ := mfs[name].GetType().String(); typ != "UNTYPED" {
			t.Errorf("%s is %s, want untyped as node_exporter", name, typ)
		}
	}
	if len(mfs) != len(want) {
		t.Errorf("got %d families, want %d (DelayedACKs, InNoRoutes, DefaultTTL, Ip6InReceives are outside the default set)", len(mfs), len(want))
	}
	if h := mfs["node_netstat_Tcp_CurrEstab"].GetHelp(); h != "Statistic TcpCurrEstab." {
		t.Errorf("help %q", h)
	}
}

func TestNetStatRejectsMismatchedLines(t *testing.T) {
	dir := t.TempDir()
	writeProc(t, dir, "net/netstat", "TcpExt: A B C\nTcpExt: 1 2\n")
	writeProc(t, dir, "net/snmp", "")
	c, err := newNetStatCollector(FieldsConfig{}, newFS(Paths{Procfs: dir}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Update(t.Context(), make(chan prometheus.Metric, 100))
	if err == nil || !strings.Contains(err.Error(), "TcpExt: 3 field names but 2 values") {
		t.Errorf("Update = %v, want a field count mismatch", err)
	}
}

func TestSockstatFixture(t *testing.T) {
	compare(t, newFixtureCollector(t, Sockstat), `
# HELP node_sockstat_sockets_used Number of IPv4 sockets in use.
# TYPE node_sockstat_sockets_used gauge
node_sockstat_sockets_used 229
# HELP node_sockstat_TCP_alloc Number of TCP sockets in state alloc.
# TYPE node_sockstat_TCP_alloc gauge
node_sockstat_TCP_alloc 17
# HELP node_sockstat_TCP_mem Number of TCP sockets in state mem.
# TYPE node_sockstat_TCP_mem gauge
node_sockstat_TCP_mem 1
# HELP node_sockstat_TCP_mem_bytes Number of TCP sockets in state mem_bytes.
# TYPE node_sockstat_TCP_mem_bytes gauge
node_sockstat_TCP_mem_bytes `+strconv.FormatFloat(pageSize, 'g', -1, 64)+`
# HELP node_sockstat_TCP6_inuse Number of TCP6 sockets in state inuse.
# TYPE node_sockstat_TCP6_inuse gauge
node_sockstat_TCP6_inuse 17
# HELP node_sockstat_FRAG_memory Number of FRAG sockets in state memory.
# TYPE node_sockstat_FRAG_memory gauge
node_sockstat_FRAG_memory 0
`, "node_sockstat_sockets_used", "node_sockstat_TCP_alloc", "node_sockstat_TCP_mem", "node_sockstat_TCP_mem_bytes",
		"node_sockstat_TCP6_inuse", "node_sockstat_FRAG_memory")
}

func TestConntrackFixtureSumsCPUs(t *testing.T) {
	compare(t, newFixtureCollector(t, Conntrack), `
# HELP node_nf_conntrack_entries Number of currently allocated flow entries for connection tracking.
# TYPE node_nf_conntrack_entries gauge
node_nf_conntrack_entries 123
# HELP node_nf_conntrack_entries_limit Maximum size of connection tracking table.
# TYPE node_nf_conntrack_entries_limit gauge
node_nf_conntrack_entries_limit 65536
# HELP node_nf_conntrack_stat_drop Number of packets dropped due to conntrack failure.
# TYPE node_nf_conntrack_stat_drop gauge
node_nf_conntrack_stat_drop 102
# HELP node_nf_conntrack_stat_early_drop Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.
# TYPE node_nf_conntrack_stat_early_drop gauge
node_nf_conntrack_stat_early_drop 119
# HELP node_nf_conntrack_stat_found Number of searched entries which were successful.
# TYPE node_nf_conntrack_stat_found gauge
node_nf_conntrack_stat_found 17
# HELP node_nf_conntrack_stat_ignore Number of packets seen which are already connected to a conntrack entry.
# TYPE node_nf_conntrack_stat_ignore gauge
node_nf_conntrack_stat_ignore 51
# HELP node_nf_conntrack_stat_insert Number of entries inserted into the list.
# TYPE node_nf_conntrack_stat_insert gauge
node_nf_conntrack_stat_insert 68
# HELP node_nf_conntrack_stat_insert_failed Number of entries for which list insertion was attempted but failed.
# TYPE node_nf_conntrack_stat_insert_failed gauge
node_nf_conntrack_stat_insert_failed 85
# HELP node_nf_conntrack_stat_invalid Number of packets seen which can not be tracked.
# TYPE node_nf_conntrack_stat_invalid gauge
node_nf_conntrack_stat_invalid 34
# HELP node_nf_conntrack_stat_search_restart Number of conntrack table lookups which had to be restarted due to hashtable resizes.
# TYPE node_nf_conntrack_stat_search_restart gauge
node_nf_conntrack_stat_search_restart 136
`)
}

func TestPressureFixture(t *testing.T) {
	// cpu's "full" line and the absent irq file export nothing.
	compare(t, newFixtureCollector(t, Pressure), `
# HELP node_pressure_cpu_waiting_seconds_total Total time in seconds that processes have waited for CPU time
# TYPE node_pressure_cpu_waiting_seconds_total counter
node_pressure_cpu_waiting_seconds_total 1.5
# HELP node_pressure_io_stalled_seconds_total Total time in seconds no process could make progress due to IO congestion
# TYPE node_pressure_io_stalled_seconds_total counter
node_pressure_io_stalled_seconds_total 1.25
# HELP node_pressure_io_waiting_seconds_total Total time in seconds that processes have waited due to IO congestion
# TYPE node_pressure_io_waiting_seconds_total counter
node_pressure_io_waiting_seconds_total 2.5
# HELP node_pressure_memory_stalled_seconds_total Total time in seconds no process could make progress due to memory congestion
# TYPE node_pressure_memory_stalled_seconds_total counter
node_pressure_memory_stalled_seconds_total 5e-05
# HELP node_pressure_memory_waiting_seconds_total Total time in seconds that processes have waited for memory
# TYPE node_pressure_memory_waiting_seconds_total counter
node_pressure_memory_waiting_seconds_total 0.0001
`)
}

func TestNetclassFixture(t *testing.T) {
	compare(t, newFixtureCollector(t, Netclass), `
# HELP node_network_up Value is 1 if operstate is 'up', 0 otherwise.
# TYPE node_network_up gauge
node_network_up{device="eth0"} 1
# HELP node_network_info Non-numeric data from /sys/class/net/<iface>, value is always 1.
# TYPE node_network_info gauge
node_network_info{address="02:fc:00:00:00:01",adminstate="up",broadcast="ff:ff:ff:ff:ff:ff",device="eth0",duplex="full",ifalias="",operstate="up"} 1
# HELP node_network_speed_bytes Network device property: speed_bytes
# TYPE node_network_speed_bytes gauge
node_network_speed_bytes{device="eth0"} 1.25e+08
# HELP node_network_mtu_bytes Network device property: mtu_bytes
# TYPE node_network_mtu_bytes gauge
node_network_mtu_bytes{device="eth0"} 1500
# HELP node_network_carrier Network device property: carrier
# TYPE node_network_carrier gauge
node_network_carrier{device="eth0"} 1
# HELP node_network_carrier_changes_total Network device property: carrier_changes_total
# TYPE node_network_carrier_changes_total counter
node_network_carrier_changes_total{device="eth0"} 2
# HELP node_network_flags Network device property: flags
# TYPE node_network_flags gauge
node_network_flags{device="eth0"} 4099
`, "node_network_up", "node_network_info", "node_network_speed_bytes", "node_network_mtu_bytes",
		"node_network_carrier", "node_network_carrier_changes_total", "node_network_flags")
}

func TestNetclassIgnoredDevices(t *testing.T) {
	cfg := fixtureConfig()
	cfg.Collectors = []string{Netclass}
	cfg.Netclass.IgnoredDevices = "^eth"
	cs, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mfs := gather(t, cs...); mfs["node_network_up"] != nil {
		t.Errorf("ignored eth0 is still reported: %v", mfs["node_network_up"])
	}
}

func TestFilefdAndEntropyFixture(t *testing.T) {
	compare(t, newFixtureCollector(t, Filefd), `
# HELP node_filefd_allocated File descriptor statistics: allocated.
# TYPE node_filefd_allocated gauge
node_filefd_allocated 1024
# HELP node_filefd_maximum File descriptor statistics: maximum.
# TYPE node_filefd_maximum gauge
node_filefd_maximum 9.223372036854776e+18
`)
	compare(t, newFixtureCollector(t, Entropy), `
# HELP node_entropy_available_bits Bits of available entropy.
# TYPE node_entropy_available_bits gauge
node_entropy_available_bits 256
# HELP node_entropy_pool_size_bits Bits of entropy pool.
# TYPE node_entropy_pool_size_bits gauge
node_entropy_pool_size_bits 256
`)
}

func TestParseFileNr(t *testing.T) {
	for _, tt := range []struct{ in, wantErr string }{
		{in: "1 0 2\n"}, {in: "1 0\n", wantErr: "2 fields, want 3"}, {in: "x 0 2\n", wantErr: `allocated "x"`},
	} {
		_, _, err := parseFileNr([]byte(tt.in))
		checkErr(t, err, tt.wantErr)
	}
}

func TestOSFixture(t *testing.T) {
	cfg := fixtureConfig()
	cfg.Paths.Rootfs = "testdata/fixture/root"
	cfg.Collectors = []string{OS}
	cs, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP node_os_info A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.
# TYPE node_os_info gauge
node_os_info{build_id="",id="debian",id_like="",image_id="",image_version="",name="Debian GNU/Linux",pretty_name="Debian GNU/Linux 12 (bookworm)",variant="",variant_id="",version="12 (bookworm)",version_codename="bookworm",version_id="12"} 1
# HELP node_os_version Metric containing the major.minor part of the OS version.
# TYPE node_os_version gauge
node_os_version{id="debian",id_like="",name="Debian GNU/Linux"} 12
`
	for range 2 { // the second scrape answers from the cache
		compare(t, members(cs)[OS].(instrumented).Collector, want)
	}
}

func TestParseOSRelease(t *testing.T) {
	r, err := parseOSRelease([]byte("NAME='Ubuntu'\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\"say \\\"hi\\\"\"\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.hasVer || r.version != 22.04 || r.info[1] != "ubuntu" || r.info[2] != "debian" || r.info[5] != "Ubuntu" || r.info[6] != `say "hi"` {
		t.Errorf("got %+v", r)
	}
	if r, _ := parseOSRelease([]byte("ID=arch\n")); r.hasVer {
		t.Errorf("rolling release without VERSION_ID has version %v", r.version)
	}
	for _, tt := range []struct{ in, wantErr string }{
		{"NAME\n", "line 1: no '='"}, {"ID=x\nNAME=\"open\n", "line 2: NAME: unterminated quote"},
	} {
		_, err := parseOSRelease([]byte(tt.in))
		checkErr(t, err, tt.wantErr)
	}
}

func TestUnameMatchesTheSyscall(t *testing.T) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	mfs := gather(t, newUnameCollector())
	m := filter(mfs, "node_uname_info", "nodename", cString(u.Nodename[:]), "release", cString(u.Release[:]), "sysname", "Linux")
	if len(m) != 1 || len(m[0].GetLabel()) != 6 {
		t.Errorf("node_uname_info = %v", mfs["node_uname_info"])
	}
}

func TestTimexConversions(t *testing.T) {
	var overflows atomic.Uint64
	collect := func(r timexReading) map[string]float64 {
		ch := make(chan prometheus.Metric, 100)
		emitTimex(ch, r, &overflows)
		close(ch)
		out := map[string]float64{}
		for m := range ch {
			var pb dto.Metric
			if err := m.Write(&pb); err != nil {
				t.Fatal(err)
			}
			out[descName(m.Desc())] = sampleValue(&pb)
		}
		return out
	}
	micro := timexReading{state: timeError}
	micro.Offset, micro.Freq, micro.Maxerror, micro.Tick, micro.Jitter, micro.Tai = -2500, 65536*10, 16000, 10000, 7, 37
	got := collect(micro)
	for name, want := range map[string]float64{
		"node_timex_sync_status": 0, "node_timex_offset_seconds": -0.0025, "node_timex_frequency_adjustment_ratio": 1.00001,
		"node_timex_maxerror_seconds": 0.016, "node_timex_tick_seconds": 0.01, "node_timex_pps_jitter_seconds": 7e-6,
		"node_timex_tai_offset_seconds": 37, "node_timex_offset_overflow_total": 0,
	} {
		if got[name] != want {
			t.Errorf("µs reading: %s = %v, want %v", name, got[name], want)
		}
	}
	nano := timexReading{state: unix.TIME_OK}
	nano.Status, nano.Offset = staNano, 5_000_000_000 // 5 s: the KVM overflow artefact
	got = collect(nano)
	if got["node_timex_sync_status"] != 1 || got["node_timex_offset_seconds"] != 5 || got["node_timex_offset_overflow_total"] != 1 {
		t.Errorf("ns reading: %v", got)
	}
	if len(got) != 18 {
		t.Errorf("%d timex families, want node_exporter's 18", len(got))
	}
}

func descName(d *prometheus.Desc) string {
	s := d.String()
	s = s[strings.Index(s, `fqName: "`)+len(`fqName: "`):]
	return s[:strings.IndexByte(s, '"')]
}

func TestScrapeCollectorMetrics(t *testing.T) {
	ok := instrumented{simple{name: "good", update: func(chan<- prometheus.Metric) error { return nil }}}
	bad := instrumented{simple{name: "bad", update: func(chan<- prometheus.Metric) error { return errors.New("boom") }}}
	// A source this host lacks: 0 as in node_exporter, but no failure for the runner.
	absent := instrumented{simple{name: "absent", update: func(chan<- prometheus.Metric) error { return errNoData }}}
	a := &asPrometheus{ctx: t.Context(), cs: []collector.Collector{ok, bad, absent}}
	if err := testutil.CollectAndCompare(a, strings.NewReader(`
# HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.
# TYPE node_scrape_collector_success gauge
node_scrape_collector_success{collector="absent"} 0
node_scrape_collector_success{collector="bad"} 0
node_scrape_collector_success{collector="good"} 1
`), "node_scrape_collector_success"); err != nil {
		t.Error(err)
	}
	if len(a.errs) != 1 {
		t.Errorf("the failing collector's error must still reach the runner: %v", a.errs)
	}
	if n := testutil.CollectAndCount(&asPrometheus{ctx: context.Background(), cs: []collector.Collector{ok, bad}}, "node_scrape_collector_duration_seconds"); n != 2 {
		t.Errorf("%d duration series, want 2", n)
	}
}

func TestEveryHostCollectorReportsItsScrape(t *testing.T) {
	cfg := fixtureConfig()
	cfg.Paths.Rootfs = "testdata/fixture/root"
	cs, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	mfs := gatherCtx(t, t.Context(), cs...)
	for _, name := range AllCollectors {
		if v := value(t, mfs, "node_scrape_collector_success", "collector", name); v != 1 {
			t.Errorf("node_scrape_collector_success{collector=%q} = %v on the fixture", name, v)
		}
	}
}

func writeTextfile(t *testing.T, dir, name, content string, mtime time.Time) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTextfile(t *testing.T) {
	dir := t.TempDir()
	when := time.Unix(1_700_000_000, 0)
	good := writeTextfile(t, dir, "good.prom", `# HELP job_last_success_seconds Last success.
# TYPE job_last_success_seconds gauge
job_last_success_seconds{job="a"} 17
job_last_success_seconds{job="b",site="x"} 18
no_help_here 3
# TYPE job_duration_seconds histogram
job_duration_seconds_bucket{le="1"} 2
job_duration_seconds_bucket{le="+Inf"} 3
job_duration_seconds_sum 4.5
job_duration_seconds_count 3
`, when)
	writeTextfile(t, dir, "broken.prom", "this is { not the format\n", when)
	writeTextfile(t, dir, "stamped.prom", "stamped_metric 1 1700000000000\n", when)
	// Same family as good.prom with another type: the whole file is dropped.
	writeTextfile(t, dir, "zz-conflict.prom", "# TYPE job_last_success_seconds counter\njob_last_success_seconds{job=\"c\"} 1\nconflict_only 1\n", when)
	writeTextfile(t, dir, "notes.txt", "ignored 1\n", when)

	c := newTextfileCollector(TextfileConfig{Directory: dir}, slog.New(slog.DiscardHandler))
	compare(t, c, `
# HELP job_last_success_seconds Last success.
# TYPE job_last_success_seconds gauge
job_last_success_seconds{job="a",site=""} 17
job_last_success_seconds{job="b",site="x"} 18
# HELP no_help_here Metric read from `+good+`
# TYPE no_help_here untyped
no_help_here 3
# HELP job_duration_seconds Metric read from `+good+`
# TYPE job_duration_seconds histogram
job_duration_seconds_bucket{le="1"} 2
job_duration_seconds_bucket{le="+Inf"} 3
job_duration_seconds_sum 4.5
job_duration_seconds_count 3
# HELP node_textfile_mtime_seconds Unixtime mtime of textfiles successfully read.
# TYPE node_textfile_mtime_seconds gauge
node_textfile_mtime_seconds{file="`+good+`"} 1.7e+09
# HELP node_textfile_scrape_error 1 if there was an error opening or reading a file, 0 otherwise
# TYPE node_textfile_scrape_error gauge
node_textfile_scrape_error 1
`)
}

func TestTextfileWithoutErrorsOrDirectory(t *testing.T) {
	dir := t.TempDir()
	writeTextfile(t, dir, "ok.prom", "up_and_fine 1\n", time.Now())
	for _, tt := range []struct {
		dir  string
		want float64
	}{{dir, 0}, {"", 0}, {filepath.Join(dir, "missing"), 1}} {
		mfs := gather(t, newTextfileCollector(TextfileConfig{Directory: tt.dir}, slog.New(slog.DiscardHandler)))
		if got := value(t, mfs, "node_textfile_scrape_error"); got != tt.want {
			t.Errorf("directory %q: node_textfile_scrape_error = %v, want %v", tt.dir, got, tt.want)
		}
	}
}

func TestARPSoftnetSchedstatFixture(t *testing.T) {
	compare(t, newFixtureCollector(t, ARP), `
# HELP node_arp_entries ARP entries by device
# TYPE node_arp_entries gauge
node_arp_entries{device="eth0"} 2
node_arp_entries{device="eth1"} 1
`)
	compare(t, newFixtureCollector(t, Softnet), `
# HELP node_softnet_processed_total Number of processed packets
# TYPE node_softnet_processed_total counter
node_softnet_processed_total{cpu="0"} 231253
node_softnet_processed_total{cpu="1"} 109479
# HELP node_softnet_dropped_total Number of dropped packets
# TYPE node_softnet_dropped_total counter
node_softnet_dropped_total{cpu="0"} 1
node_softnet_dropped_total{cpu="1"} 0
# HELP node_softnet_times_squeezed_total Number of times processing packets ran out of quota
# TYPE node_softnet_times_squeezed_total counter
node_softnet_times_squeezed_total{cpu="0"} 2
node_softnet_times_squeezed_total{cpu="1"} 4
`, "node_softnet_processed_total", "node_softnet_dropped_total", "node_softnet_times_squeezed_total")
	compare(t, newFixtureCollector(t, Schedstat), `
# HELP node_schedstat_running_seconds_total Number of seconds CPU spent running a process.
# TYPE node_schedstat_running_seconds_total counter
node_schedstat_running_seconds_total{cpu="0"} 2
node_schedstat_running_seconds_total{cpu="1"} 3
# HELP node_schedstat_waiting_seconds_total Number of seconds spent by processing waiting for this CPU.
# TYPE node_schedstat_waiting_seconds_total counter
node_schedstat_waiting_seconds_total{cpu="0"} 0.5
node_schedstat_waiting_seconds_total{cpu="1"} 1.5
# HELP node_schedstat_timeslices_total Number of timeslices executed by CPU.
# TYPE node_schedstat_timeslices_total counter
node_schedstat_timeslices_total{cpu="0"} 4242
node_schedstat_timeslices_total{cpu="1"} 1234
`)
}

// Scrapes may overlap (a slow one and the next): every host collector must
// be safe to update concurrently (run with -race).
func TestConcurrentUpdates(t *testing.T) {
	cfg := fixtureConfig()
	cfg.Paths.Rootfs = "testdata/fixture/root"
	cs, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 4 {
		go func() {
			ch := make(chan prometheus.Metric, 4096)
			for _, c := range cs {
				if err := c.Update(t.Context(), ch); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// A failing sub-collector does not stop the others of the host group: the
// group reports its error, and every member still reports its scrape.
func TestGroupRunsEveryMember(t *testing.T) {
	dir := t.TempDir()
	writeProc(t, dir, "loadavg", "0.5 0.25 0.125 1/1 1\n")
	cfg := fixtureConfig()
	cfg.Paths.Procfs = dir // no /proc/stat: cpu fails
	cfg.Collectors = []string{CPU, Loadavg}
	cs, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &asPrometheus{ctx: t.Context(), cs: cs}
	if err := testutil.CollectAndCompare(a, strings.NewReader(`
# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.5
# HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.
# TYPE node_scrape_collector_success gauge
node_scrape_collector_success{collector="cpu"} 0
node_scrape_collector_success{collector="loadavg"} 1
`), "node_load1", "node_scrape_collector_success"); err != nil {
		t.Error(err)
	}
	if len(a.errs) != 1 || !strings.Contains(a.errs[0].Error(), "cpu: ") {
		t.Errorf("group errors = %v, want cpu's", a.errs)
	}
}
