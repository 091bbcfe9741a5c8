package prober

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// testDNSHandler answers example.com A with two records, zone.example SOA
// with serial 2024010101, and NXDOMAIN for anything else.
func testDNSHandler(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	q := r.Question[0]
	switch {
	case q.Name == "example.com." && q.Qtype == dns.TypeA:
		for _, rr := range []string{"example.com. 300 IN A 192.0.2.1", "example.com. 300 IN A 192.0.2.2"} {
			a, _ := dns.NewRR(rr)
			m.Answer = append(m.Answer, a)
		}
		ns, _ := dns.NewRR("example.com. 300 IN NS ns1.example.com.")
		m.Ns = append(m.Ns, ns)
	case q.Name == "zone.example." && q.Qtype == dns.TypeSOA:
		soa, _ := dns.NewRR("zone.example. 3600 IN SOA ns.zone.example. admin.zone.example. 2024010101 7200 3600 1209600 3600")
		m.Answer = append(m.Answer, soa)
	default:
		m.Rcode = dns.RcodeNameError
	}
	m.RecursionAvailable = r.RecursionDesired
	w.WriteMsg(m)
}

// startDNS serves testDNSHandler on one loopback port over UDP and TCP.
func startDNS(t *testing.T) string {
	t.Helper()
	pc, ln := listenUDPAndTCP(t)
	for _, srv := range []*dns.Server{
		{PacketConn: pc, Handler: dns.HandlerFunc(testDNSHandler)},
		{Listener: ln, Handler: dns.HandlerFunc(testDNSHandler)},
	} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return pc.LocalAddr().String()
}

// listenUDPAndTCP listens on one loopback port over both transports. A free
// UDP port may be taken over TCP by a test running in parallel: try again.
func listenUDPAndTCP(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
		lastErr = err
	}
	t.Fatalf("no loopback port free over both UDP and TCP: %v", lastErr)
	return nil, nil
}

func TestProbeDNS(t *testing.T) {
	server := startDNS(t)
	tests := []struct {
		name string
		dns  DNSProbe
		ok   bool
		want map[string]float64
	}{
		{"A over udp", DNSProbe{QueryName: "example.com", QueryType: "A"}, true,
			map[string]float64{"probe_dns_answer_rrs": 2, "probe_dns_authority_rrs": 1, "probe_dns_additional_rrs": 0, "probe_dns_query_succeeded": 1, "probe_ip_protocol": 4}},
		{"A over tcp", DNSProbe{QueryName: "example.com", QueryType: "a", TransportProtocol: "tcp"}, true,
			map[string]float64{"probe_dns_answer_rrs": 2, "probe_dns_query_succeeded": 1}},
		{"NXDOMAIN is a failure by default", DNSProbe{QueryName: "nope.example.com", QueryType: "A"}, false,
			map[string]float64{"probe_dns_answer_rrs": 0, "probe_dns_query_succeeded": 1}},
		{"NXDOMAIN when it is the expected rcode", DNSProbe{QueryName: "nope.example.com", QueryType: "A", ValidRcodes: []string{"NXDOMAIN"}}, true, nil},
		{"answers must match", DNSProbe{QueryName: "example.com", QueryType: "A",
			ValidateAnswer: DNSRRValidator{FailIfNotMatchesRegexp: []Regexp{mustRegexp(t, `\t192\.0\.2\.1$`)}}}, false, nil},
		{"an answer must not match", DNSProbe{QueryName: "example.com", QueryType: "A",
			ValidateAnswer: DNSRRValidator{FailIfMatchesRegexp: []Regexp{mustRegexp(t, `192\.0\.2\.2`)}}}, false, nil},
		{"one answer matches", DNSProbe{QueryName: "example.com", QueryType: "A",
			ValidateAnswer: DNSRRValidator{FailIfNoneMatchesRegexp: []Regexp{mustRegexp(t, `192\.0\.2\.2`)}}}, true, nil},
		{"all answers match as blackbox reads it", DNSProbe{QueryName: "example.com", QueryType: "A",
			ValidateAnswer: DNSRRValidator{FailIfAllMatchRegexp: []Regexp{mustRegexp(t, `192\.0\.2\.`)}}}, true, nil},
		{"authority must match", DNSProbe{QueryName: "example.com", QueryType: "A",
			ValidateAuthority: DNSRRValidator{FailIfNotMatchesRegexp: []Regexp{mustRegexp(t, `NS\s+ns1\.example\.com\.$`)}}}, true, nil},
		{"SOA serial", DNSProbe{QueryName: "zone.example", QueryType: "SOA"}, true,
			map[string]float64{"probe_dns_serial": 2024010101, "probe_dns_answer_rrs": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, got, _ := runProbe(t, ProbeDNS, server, Module{Prober: "dns", DNS: tt.dns}, 5*time.Second)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%v)", ok, tt.ok, got)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			for _, phase := range []string{"resolve", "connect", "request"} {
				if _, has := got[`probe_dns_duration_seconds{phase="`+phase+`"}`]; !has {
					t.Errorf("no %s phase", phase)
				}
			}
		})
	}
}

func TestProbeDNSSilentServerHitsDeadline(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			var addr string
			if transport == "udp" {
				pc, err := net.ListenPacket("udp", "127.0.0.1:0") // never read
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { pc.Close() })
				addr = pc.LocalAddr().String()
			} else {
				addr = silentTCP(t)
			}
			m := Module{Prober: "dns", DNS: DNSProbe{QueryName: "example.com", QueryType: "A", TransportProtocol: transport}}
			ok, got, took := runProbe(t, ProbeDNS, addr, m, 300*time.Millisecond)
			if ok || took > 5*time.Second {
				t.Errorf("ok = %v after %s, want a failure at the 300ms deadline", ok, took)
			}
			if got["probe_dns_query_succeeded"] != 0 {
				t.Error("probe_dns_query_succeeded = 1 without an answer")
			}
		})
	}
}

// A server slower than miekg/dns's 2 s read default but within the
// module's timeout answers in time: the probe waits for the module's
// timeout, as blackbox_exporter does.
func TestProbeDNSWaitsForTheModuleTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 2.5 s for a slow DNS server")
	}
	pc, ln := listenUDPAndTCP(t)
	ln.Close()
	slow := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		time.Sleep(2500 * time.Millisecond)
		testDNSHandler(w, r)
	})
	srv := &dns.Server{PacketConn: pc, Handler: slow}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	m := Module{Prober: "dns", DNS: DNSProbe{QueryName: "example.com", QueryType: "A"}}
	ok, got, took := runProbe(t, ProbeDNS, pc.LocalAddr().String(), m, 5*time.Second)
	if !ok || got["probe_dns_answer_rrs"] != 2 {
		t.Errorf("ok = %v after %s (%v), want the answer that came after 2.5 s", ok, took, got)
	}
}

func silentTCP(t *testing.T) string {
	t.Helper()
	return serveTCP(t, loopback(t), func(c net.Conn) { io.Copy(io.Discard, c) }) // reads, never answers
}

func TestProbeDNSDefaultPort(t *testing.T) {
	// A bare host means port 53; nothing listens there on loopback in
	// tests, so the probe must fail (refused over tcp) rather than error out.
	m := Module{Prober: "dns", DNS: DNSProbe{QueryName: "example.com", TransportProtocol: "tcp"}}
	if ok, _, took := runProbe(t, ProbeDNS, "127.0.0.1", m, 30*time.Second); ok || took > 5*time.Second {
		t.Errorf("ok = %v after %s", ok, took)
	}
}

func TestDNSModuleConfig(t *testing.T) {
	modules, err := decodeModules(`
m:
  prober: dns
  dns:
    query_name: example.com
    query_type: MX
    transport_protocol: tcp
    recursion_desired: false
    valid_rcodes: [NOERROR, NXDOMAIN]
    validate_answer_rrs:
      fail_if_not_matches_regexp: ["MX\\s+10 "]
`)
	if err != nil {
		t.Fatal(err)
	}
	d := modules["m"].DNS
	if d.QueryType != "MX" || d.Recursion == nil || *d.Recursion || len(d.ValidRcodes) != 2 || len(d.ValidateAnswer.FailIfNotMatchesRegexp) != 1 {
		t.Errorf("decoded %+v", d)
	}
	for src, want := range map[string]string{
		"m:\n  prober: dns\n  dns:\n    query_type: A\n":                                                           "line 4: m.dns.query_name: must be set",
		"m:\n  prober: dns\n  dns:\n    query_name: x\n    query_type: AAAAA\n":                                    "line 5: m.dns.query_type: \"AAAAA\" is not a DNS record type",
		"m:\n  prober: dns\n  dns:\n    query_name: x\n    transport_protocol: quic\n":                             "line 5: m.dns.transport_protocol:",
		"m:\n  prober: dns\n  dns:\n    query_name: x\n    valid_rcodes: [NOPE]\n":                                 "line 5: m.dns.valid_rcodes[0]:",
		"m:\n  prober: dns\n  dns:\n    query_name: x\n    dns_over_tls: true\n":                                   "dns.dns_over_tls: needs transport_protocol: tcp",
		"m:\n  prober: dns\n  dns:\n    query_name: x\n    validate_answer_rrs: {fail_if_matches_regexp: ['(']}\n": "line 5: m.dns.validate_answer_rrs.fail_if_matches_regexp[0]: invalid regular expression",
		"m:\n  prober: dns\n  dns:\n    query_name: x\n    validate_answer_rrs: {fail_if_match: [a]}\n":            "m.dns.validate_answer_rrs.fail_if_match: unknown field",
	} {
		if _, err := decodeModules(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}
