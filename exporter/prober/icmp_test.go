package prober

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
)

func boolPtr(b bool) *bool { return &b }

func TestProbeICMPLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "a raw ICMP socket needs root")
	}
	m := Module{Prober: "icmp", ICMP: ICMPProbe{Privileged: boolPtr(true)}}
	ok, got, _ := runProbe(t, ProbeICMP, "127.0.0.1", m, 5*time.Second)
	if !ok {
		t.Fatalf("ping 127.0.0.1 failed: %v", got)
	}
	if got[`probe_icmp_duration_seconds{phase="rtt"}`] <= 0 {
		t.Errorf("rtt = %v, want > 0", got[`probe_icmp_duration_seconds{phase="rtt"}`])
	}
	if _, ok := got[`probe_icmp_duration_seconds{phase="setup"}`]; !ok {
		t.Error("no setup phase")
	}
	if got["probe_icmp_reply_hop_limit"] != 64 {
		t.Errorf("probe_icmp_reply_hop_limit = %v, want 64 (Linux's default TTL on loopback)", got["probe_icmp_reply_hop_limit"])
	}
	if got["probe_ip_protocol"] != 4 {
		t.Errorf("probe_ip_protocol = %v", got["probe_ip_protocol"])
	}
}

// Whether a ping socket is allowed depends on the machine (Debian allows no
// group), so the test checks the behaviour that follows from the setting.
func TestProbeICMPUnprivileged(t *testing.T) {
	allowed := pingGroupAllows(os.Getgid())
	m := Module{Prober: "icmp", ICMP: ICMPProbe{Privileged: boolPtr(false), PayloadSize: 56}}
	ok, got, _ := runProbe(t, ProbeICMP, "127.0.0.1", m, 5*time.Second)
	if ok != allowed {
		t.Fatalf("unprivileged ping 127.0.0.1: ok = %v, want %v (ping_group_range allows our group: %v); %v", ok, allowed, allowed, got)
	}
	if _, has := got[`probe_icmp_duration_seconds{phase="rtt"}`]; !has {
		t.Error("the phases must be reported even when the socket is refused")
	}
}

// Unset privileged tries a ping socket and falls back to a raw one, as
// blackbox_exporter does, so it works wherever either kind is allowed.
func TestProbeICMPAutoSocket(t *testing.T) {
	if !pingGroupAllows(os.Getgid()) && os.Geteuid() != 0 {
		testenv.Unavailable(t, "neither a ping socket (ping_group_range) nor a raw one (root) is allowed")
	}
	ok, got, _ := runProbe(t, ProbeICMP, "127.0.0.1", Module{Prober: "icmp"}, 5*time.Second)
	if !ok {
		t.Fatalf("ping 127.0.0.1 with an automatic socket failed: %v", got)
	}
}

func pingGroupAllows(gid int) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	return err1 == nil && err2 == nil && lo <= gid && gid <= hi
}

func TestProbeICMPUnresolvableFailsFast(t *testing.T) {
	ok, got, took := runProbe(t, ProbeICMP, "golive..invalid", Module{Prober: "icmp"}, 30*time.Second)
	if ok || took > 5*time.Second {
		t.Errorf("ok = %v after %s, want a failure well before the 30s deadline", ok, took)
	}
	if _, has := got[`probe_icmp_duration_seconds{phase="rtt"}`]; !has {
		t.Error("the phases must be reported (as 0) even when resolving fails")
	}
}

func TestICMPModuleConfig(t *testing.T) {
	modules, err := decodeModules("m:\n  prober: icmp\n  icmp:\n    privileged: false\n    payload_size: 64\n    ttl: 10\n    preferred_ip_protocol: ip6\n")
	if err != nil {
		t.Fatal(err)
	}
	if c := modules["m"].ICMP; c.Privileged == nil || *c.Privileged || c.PayloadSize != 64 || c.TTL != 10 || c.IPProtocol != "ip6" {
		t.Errorf("decoded %+v", c)
	}
	for src, want := range map[string]string{
		"m:\n  prober: icmp\n  icmp:\n    payload_size: 8\n":   "line 4: m.icmp.payload_size: 8 is outside 24-65000",
		"m:\n  prober: icmp\n  icmp:\n    ttl: 300\n":          "line 4: m.icmp.ttl: 300 is outside 0-255",
		"m:\n  prober: icmp\n  icmp:\n    privileged: maybe\n": `line 4: m.icmp.privileged: "maybe" is not a boolean`,
		"m:\n  prober: icmp\n  icmp:\n    ttls: 3\n":           "m.icmp.ttls: unknown field",
	} {
		if _, err := decodeModules(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}
