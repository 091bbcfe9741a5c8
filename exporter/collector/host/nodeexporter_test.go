package host

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/testenv"
)

// TestMatchesNodeExporter scrapes golive's host collectors, the installed
// node_exporter, then golive again, and requires the same families, types,
// help texts and series, with node_exporter's values between (or, for
// gauges, close to) golive's two readings. CI compiles and tests other
// packages meanwhile, which can move memory and disk readings past any
// tolerance in the instant between scrapes, so values get a few attempts;
// families, types, help texts and series get one.
func TestMatchesNodeExporter(t *testing.T) {
	bin := testenv.Tool(t, "NODE_EXPORTER", "prometheus-node-exporter")
	ctx := testenv.Context(t, time.Minute)
	cfg := Default
	cfg.Textfile.Directory = t.TempDir()
	writeProc(t, cfg.Textfile.Directory, "job.prom", "# HELP backup_last_success_seconds Last good backup.\n# TYPE backup_last_success_seconds gauge\nbackup_last_success_seconds{job=\"db\"} 1.7e9\nbackup_last_success_seconds{job=\"files\",site=\"b\"} 1.8e9\nuntyped_without_help 3\n")
	writeProc(t, cfg.Textfile.Directory, "broken.prom", "this is not { the text format\n")
	url := startNodeExporter(t, ctx, bin, cfg)

	cs, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		before := gather(t, cs...)
		theirs := scrapeText(t, ctx, url)
		after := gather(t, cs...)
		moved := compareFamilies(t, theirs, before, after)
		if len(moved) == 0 || t.Failed() || attempt == attempts {
			for _, m := range moved {
				t.Error(m)
			}
			return
		}
		t.Logf("attempt %d: %d values outside golive's readings, e.g. %s; scraping again", attempt, len(moved), moved[0])
	}
}

// compareFamilies reports differences in families, types, help texts and
// series as test errors, and returns the values that fall outside golive's
// readings.
func compareFamilies(t *testing.T, theirs, before, after map[string]*dto.MetricFamily) (moved []string) {
	t.Helper()
	// Families node_exporter's enabled collectors emit that golive does not:
	// udev/sysfs disk info, and node_exporter's own build.
	notOurs := []string{"node_disk_info", "node_exporter_build_info"}
	// Families of newer node_exporter releases than the Debian 1.5 here.
	newer := []string{"node_filesystem_mount_info", "node_timex_offset_overflow_total", "node_pressure_irq_stalled_seconds_total",
		"node_softnet_cpu_collision_total", "node_softnet_received_rps_total", "node_softnet_flow_limit_count_total", "node_softnet_backlog_len"}

	compared := 0
	for name, mf := range theirs {
		// The Go runtime and HTTP handler of either process are not host metrics.
		if slices.Contains(notOurs, name) || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_") {
			continue
		}
		compared++
		ours := before[name]
		if ours == nil {
			t.Errorf("%s: node_exporter has it, golive does not", name)
			continue
		}
		if ours.GetType() != mf.GetType() || ours.GetHelp() != mf.GetHelp() {
			t.Errorf("%s: golive %s %q, node_exporter %s %q", name, ours.GetType(), ours.GetHelp(), mf.GetType(), mf.GetHelp())
		}
		moved = append(moved, compareSeries(t, name, mf, ours, after[name])...)
	}
	for name := range before {
		if theirs[name] == nil && !slices.Contains(newer, name) {
			t.Errorf("%s: golive has it, node_exporter does not", name)
		}
	}
	// Every collector of both contributes: a comparison that silently
	// covered a handful of families would prove little.
	if compared < 150 {
		t.Errorf("compared %d families, want the 150 and more both exporters emit", compared)
	}
	return moved
}

func startNodeExporter(t *testing.T, ctx context.Context, bin string, cfg Config) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.CommandContext(ctx, bin,
		"--web.listen-address="+addr,
		"--collector.disable-defaults",
		"--collector.cpu", "--collector.loadavg", "--collector.meminfo", "--collector.filesystem",
		"--collector.diskstats", "--collector.netdev", "--collector.time", "--collector.stat",
		"--collector.vmstat", "--collector.netstat", "--collector.sockstat", "--collector.timex",
		"--collector.conntrack", "--collector.pressure", "--collector.netclass", "--collector.filefd",
		"--collector.entropy", "--collector.uname", "--collector.os", "--collector.textfile",
		"--collector.arp", "--collector.softnet", "--collector.schedstat",
		"--collector.textfile.directory="+cfg.Textfile.Directory,
		// golive's defaults are the newest release's; 1.5's netstat set lacks two.
		"--collector.vmstat.fields="+cfg.VMStat.Fields,
		"--collector.netstat.fields="+cfg.NetStat.Fields,
		"--collector.netclass.ignored-devices="+cfg.Netclass.IgnoredDevices,
		// golive reads /proc/net/dev; node_exporter's netlink path adds
		// receive_nohandler, which /proc/net/dev does not have.
		"--no-collector.netdev.netlink",
		"--collector.filesystem.mount-points-exclude="+cfg.Filesystem.MountPointsExclude,
		"--collector.filesystem.fs-types-exclude="+cfg.Filesystem.FSTypesExclude,
		"--collector.diskstats.device-exclude="+cfg.Diskstats.DeviceExclude,
		"--collector.netdev.device-exclude="+cfg.Netdev.DeviceExclude,
	)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := "http://" + addr + "/metrics"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node_exporter did not answer on %s", url)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func scrapeText(t *testing.T, ctx context.Context, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// seriesKey identifies a series the way Prometheus stores it: empty labels
// do not exist. device_error (node_filesystem_*) and adminstate
// (node_network_info) are dropped because node_exporter 1.5 predates those
// labels; golive follows current releases.
func seriesKey(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		if l.GetValue() != "" && l.GetName() != "device_error" && l.GetName() != "adminstate" {
			parts = append(parts, l.GetName()+"="+strconv.Quote(l.GetValue()))
		}
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

func bySeries(mf *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, m := range mf.GetMetric() {
		out[seriesKey(m)] = sampleValue(m)
	}
	return out
}

func compareSeries(t *testing.T, name string, theirs, before, after *dto.MetricFamily) (moved []string) {
	t.Helper()
	o1, o2 := bySeries(before), bySeries(after)
	t1 := bySeries(theirs)
	for key, v := range t1 {
		a, ok1 := o1[key]
		b, ok2 := o2[key]
		if !ok1 || !ok2 {
			t.Errorf("%s%s: only node_exporter has this series", name, key)
			continue
		}
		tol := tolerance(name, v)
		if v < math.Min(a, b)-tol || v > math.Max(a, b)+tol {
			moved = append(moved, fmt.Sprintf("%s%s: node_exporter %v, golive %v then %v (tolerance %v)", name, key, v, a, b, tol))
		}
	}
	for key := range o1 {
		if _, ok := t1[key]; !ok {
			t.Errorf("%s%s: only golive has this series", name, key)
		}
	}
	return moved
}

// tolerance is how far node_exporter's reading, taken between golive's two,
// may fall outside them: zero for counters and constants, a few percent for
// memory that moves under the test's own allocations.
func tolerance(name string, v float64) float64 {
	switch {
	case strings.HasPrefix(name, "node_cpu_"):
		// /proc/stat counters step back by a tick now and then; both
		// exporters hold the previous value, from different starting points.
		return 0.05
	case strings.HasPrefix(name, "node_memory_"):
		return math.Max(0.03*math.Abs(v), 16<<20)
	case name == "node_filesystem_free_bytes" || name == "node_filesystem_avail_bytes":
		return math.Max(0.01*v, 64<<20)
	case name == "node_filesystem_files_free":
		return 10000
	case strings.HasPrefix(name, "node_load"):
		return 0.05
	case name == "node_disk_io_now":
		return 8
	case name == "node_scrape_collector_duration_seconds":
		return math.Inf(1) // each process's own timing: the series must match, not the values
	case name == "node_procs_running" || name == "node_procs_blocked":
		return 8 // the test's and CI's own processes come and go
	case name == "node_filefd_allocated", name == "node_nf_conntrack_entries":
		return math.Max(0.1*v, 256)
	case strings.HasPrefix(name, "node_sockstat_"), name == "node_netstat_Tcp_CurrEstab":
		return math.Max(0.2*math.Abs(v), 64) // sockets of the scrapes themselves
	case name == "node_entropy_available_bits":
		return 256
	case name == "node_timex_offset_seconds":
		return 0.001
	case name == "node_timex_frequency_adjustment_ratio":
		return 1e-6
	}
	return 0
}
