package process

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

func gather(t testing.TB, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func value(mf *dto.MetricFamily) float64 {
	m := mf.GetMetric()[0]
	if m.Counter != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// TestMatchesClientGolang gathers this collector and client_golang's side
// by side: the same families with the same help and type, the values that
// cannot move between the two reads equal, the others close.
func TestMatchesClientGolang(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Skipf("no procfs: %v", err)
	}
	theirs := gather(t, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{ReportErrors: true}))
	ours := gather(t, c)
	if len(ours) != len(theirs) {
		t.Errorf("%d families, client_golang has %d", len(ours), len(theirs))
	}
	for name, want := range theirs {
		got, ok := ours[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if got.GetHelp() != want.GetHelp() || got.GetType() != want.GetType() || len(got.GetMetric()) != 1 || len(got.GetMetric()[0].GetLabel()) != 0 {
			t.Errorf("%s: help %q type %v, client_golang has %q %v", name, got.GetHelp(), got.GetType(), want.GetHelp(), want.GetType())
			continue
		}
		g, w := value(got), value(want)
		switch name {
		case "process_start_time_seconds", "process_max_fds", "process_virtual_memory_max_bytes":
			if g != w {
				t.Errorf("%s = %v, client_golang says %v", name, g, w)
			}
		case "process_open_fds":
			if math.Abs(g-w) > 3 { // client_golang's own reads hold a few
				t.Errorf("%s = %v, client_golang says %v", name, g, w)
			}
		case "process_cpu_seconds_total", "process_network_receive_bytes_total", "process_network_transmit_bytes_total":
			if g < w {
				t.Errorf("%s = %v, went back from client_golang's earlier %v", name, g, w)
			}
		default: // memory, which the test's own allocations move
			if g <= 0 || math.Abs(g-w) > w/4 {
				t.Errorf("%s = %v, client_golang says %v", name, g, w)
			}
		}
	}
}

func TestIPExtOctets(t *testing.T) {
	const netstat = "TcpExt: SyncookiesSent EmbryonicRsts\nTcpExt: 0 3\n" +
		"IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets\n" +
		"IpExt: 0 0 0 0 0 0 123456789012 987654321\n"
	in, out, err := ipExtOctets([]byte(netstat))
	if err != nil || in != 123456789012 || out != 987654321 {
		t.Errorf("ipExtOctets = %v, %v, %v; want 123456789012, 987654321, nil", in, out, err)
	}
	if in, out, err := ipExtOctets([]byte("TcpExt: A\nTcpExt: 1\n")); err != nil || in != 0 || out != 0 {
		t.Errorf("without IpExt: %v, %v, %v; want 0, 0, nil", in, out, err)
	}
	if _, _, err := ipExtOctets([]byte("IpExt: InOctets OutOctets\nIpExt: 1\n")); err == nil {
		t.Error("a short values line gave no error")
	}
	if _, _, err := ipExtOctets([]byte("IpExt: InOctets OutOctets\nIpExt: 1 x\n")); err == nil {
		t.Error("a malformed value gave no error")
	}
}

func BenchmarkCollect(b *testing.B) {
	c, err := New()
	if err != nil {
		b.Skip(err)
	}
	bench(b, c)
}

func BenchmarkCollectClientGolang(b *testing.B) {
	bench(b, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

func bench(b *testing.B, c prometheus.Collector) {
	ch := make(chan prometheus.Metric, 16)
	b.ReportAllocs()
	for b.Loop() {
		c.Collect(ch)
		for len(ch) > 0 {
			<-ch
		}
	}
}
