package prober

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func runProbe(t *testing.T, fn ProbeFn, target string, m Module, timeout time.Duration) (bool, map[string]float64, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	reg := prometheus.NewRegistry()
	start := time.Now()
	ok := fn(ctx, target, m, reg, slog.New(slog.DiscardHandler))
	return ok, gathered(t, reg), time.Since(start)
}

// serveTCP runs handle for every connection of a loopback listener.
func serveTCP(t *testing.T, ln net.Listener, handle func(net.Conn)) string {
	t.Helper()
	var wg sync.WaitGroup
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				handle(conn)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func loopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func mustSteps(t *testing.T, steps ...string) []TCPQueryResponse {
	t.Helper()
	var qrs []TCPQueryResponse
	for _, s := range steps {
		kind, v, _ := strings.Cut(s, " ")
		switch kind {
		case "expect":
			qrs = append(qrs, TCPQueryResponse{Expect: mustRegexp(t, v)})
		case "send":
			qrs = append(qrs, TCPQueryResponse{Send: v})
		}
	}
	return qrs
}

func TestProbeTCPConnects(t *testing.T) {
	addr := serveTCP(t, loopback(t), func(net.Conn) {})
	ok, got, _ := runProbe(t, ProbeTCP, addr, Module{Prober: "tcp"}, 5*time.Second)
	if !ok {
		t.Fatal("probe of an open port failed")
	}
	if got["probe_ip_protocol"] != 4 || got["probe_failed_due_to_regex"] != 0 {
		t.Errorf("metrics = %v", got)
	}
	if _, ok := got["probe_ssl_earliest_cert_expiry"]; ok {
		t.Error("a plain TCP probe reported a certificate")
	}
}

func TestProbeTCPSilentPeerTimesOut(t *testing.T) {
	addr := serveTCP(t, loopback(t), func(c net.Conn) { io.Copy(io.Discard, c) }) // reads, never writes
	m := Module{Prober: "tcp", TCP: TCPProbe{QueryResponse: mustSteps(t, "expect ^SSH-")}}
	ok, got, took := runProbe(t, ProbeTCP, addr, m, 300*time.Millisecond)
	if ok {
		t.Fatal("probe succeeded against a peer that never speaks")
	}
	if took > 5*time.Second {
		t.Errorf("probe took %s, want about the 300ms deadline", took)
	}
	if got["probe_failed_due_to_regex"] != 0 {
		t.Error("a timeout is not a regex failure")
	}
}

// lineServer greets, then answers "HELO x" with "250 hello x".
func lineServer(c net.Conn) {
	fmt.Fprintf(c, "220 golive-test ready\r\n")
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "HELO "); ok {
			fmt.Fprintf(c, "250 hello %s\r\n", name)
			continue
		}
		fmt.Fprintf(c, "500 what?\r\n")
		return
	}
}

func TestProbeTCPQueryResponse(t *testing.T) {
	addr := serveTCP(t, loopback(t), lineServer)
	bannerThenClose := serveTCP(t, loopback(t), func(c net.Conn) { fmt.Fprintf(c, "220 ready\r\n") })
	tests := []struct {
		name       string
		addr       string
		steps      []TCPQueryResponse
		ok         bool
		regexFails float64
	}{
		{"conversation with expansion", addr, []TCPQueryResponse{
			{Expect: mustRegexp(t, `^220 (\S+) ready`), Send: "HELO ${1}"},
			{Expect: mustRegexp(t, `^250 hello golive-test\r?$`)},
		}, true, 0},
		{"banner does not match before the peer closes", bannerThenClose, mustSteps(t, "expect ^SSH-2.0"), false, 1},
		{"answer does not match", addr, []TCPQueryResponse{
			{Expect: mustRegexp(t, `^220`), Send: "NOOP"},
			{Expect: mustRegexp(t, `^250`)},
		}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Module{Prober: "tcp", TCP: TCPProbe{QueryResponse: tt.steps}}
			ok, got, _ := runProbe(t, ProbeTCP, tt.addr, m, 5*time.Second)
			if ok != tt.ok || got["probe_failed_due_to_regex"] != tt.regexFails {
				t.Errorf("ok = %v, probe_failed_due_to_regex = %v; want %v, %v", ok, got["probe_failed_due_to_regex"], tt.ok, tt.regexFails)
			}
		})
	}
}

// selfSigned returns a certificate for 127.0.0.1 and "golive.test" and its
// PEM file.
func selfSigned(t *testing.T, notAfter time.Time) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               pkix.Name{CommonName: "golive.test"},
		DNSNames:              []string{"golive.test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, file
}

func TestProbeTCPTLSCertificate(t *testing.T) {
	notAfter := time.Now().Add(72 * time.Hour).Truncate(time.Second).UTC()
	cert, caFile := selfSigned(t, notAfter)
	ln := tls.NewListener(loopback(t), &tls.Config{Certificates: []tls.Certificate{cert}})
	addr := serveTCP(t, ln, lineServer)

	tests := []struct {
		name      string
		tls       TLSConfig
		ok        bool
		lastChain bool
	}{
		{"insecure_skip_verify", TLSConfig{InsecureSkipVerify: true}, true, false},
		{"verified against ca_file", TLSConfig{CAFile: caFile, ServerName: "golive.test"}, true, true},
		{"unknown authority", TLSConfig{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Module{Prober: "tcp", TCP: TCPProbe{TLS: true, TLSConfig: tt.tls, QueryResponse: mustSteps(t, "expect ^220")}}
			ok, got, _ := runProbe(t, ProbeTCP, addr, m, 5*time.Second)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%v)", ok, tt.ok, got)
			}
			if !ok {
				return
			}
			if got["probe_ssl_earliest_cert_expiry"] != float64(notAfter.Unix()) {
				t.Errorf("probe_ssl_earliest_cert_expiry = %v, want %d", got["probe_ssl_earliest_cert_expiry"], notAfter.Unix())
			}
			if got[`probe_tls_version_info{version="TLS 1.3"}`] != 1 {
				t.Errorf("probe_tls_version_info missing: %v", got)
			}
			v, has := got["probe_ssl_last_chain_expiry_timestamp_seconds"]
			if has != tt.lastChain || (has && v != float64(notAfter.Unix())) {
				t.Errorf("probe_ssl_last_chain_expiry_timestamp_seconds = %v (present %v), want present %v", v, has, tt.lastChain)
			}
		})
	}
}

func TestProbeTCPStartTLS(t *testing.T) {
	notAfter := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	cert, _ := selfSigned(t, notAfter)
	addr := serveTCP(t, loopback(t), func(c net.Conn) {
		fmt.Fprintf(c, "220 ready\r\n")
		sc := bufio.NewScanner(c)
		if !sc.Scan() || sc.Text() != "STARTTLS" {
			return
		}
		fmt.Fprintf(c, "220 go ahead\r\n")
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if tc.Handshake() != nil {
			return
		}
		fmt.Fprintf(tc, "250 secure\r\n")
	})
	m := Module{Prober: "tcp", TCP: TCPProbe{TLSConfig: TLSConfig{InsecureSkipVerify: true}, QueryResponse: []TCPQueryResponse{
		{Expect: mustRegexp(t, "^220 ready"), Send: "STARTTLS"},
		{Expect: mustRegexp(t, "^220 go ahead"), StartTLS: true},
		{Expect: mustRegexp(t, "^250 secure")},
	}}}
	ok, got, _ := runProbe(t, ProbeTCP, addr, m, 5*time.Second)
	if !ok || got["probe_ssl_earliest_cert_expiry"] != float64(notAfter.Unix()) {
		t.Errorf("ok = %v, metrics = %v", ok, got)
	}
}

func TestProbeTCPBadTargets(t *testing.T) {
	ln := loopback(t)
	closed := ln.Addr().String()
	ln.Close()
	for _, target := range []string{"no-port", ":80", "golive..invalid:80", closed} {
		if ok, _, took := runProbe(t, ProbeTCP, target, Module{Prober: "tcp"}, 30*time.Second); ok || took > 5*time.Second {
			t.Errorf("%q: ok = %v after %s, want a quick failure", target, ok, took)
		}
	}
}

func TestTCPModuleConfig(t *testing.T) {
	modules, err := decodeModules(`
banner:
  prober: tcp
  tcp:
    preferred_ip_protocol: ip6
    ip_protocol_fallback: false
    tls: true
    tls_config: {insecure_skip_verify: true, server_name: x}
    query_response:
      - expect: "^SSH-2.0-"
        send: "hi"
      - starttls: false
`)
	if err != nil {
		t.Fatal(err)
	}
	tcp := modules["banner"].TCP
	if tcp.IPProtocol != "ip6" || tcp.IPProtocolFallback == nil || *tcp.IPProtocolFallback || !tcp.TLS ||
		!tcp.TLSConfig.InsecureSkipVerify || len(tcp.QueryResponse) != 2 || tcp.QueryResponse[0].Expect.String() != "^SSH-2.0-" {
		t.Errorf("decoded %+v", tcp)
	}
	for src, want := range map[string]string{
		"m:\n  prober: tcp\n  tcp:\n    query_response:\n      - expect: \"(\"\n":            "line 5: m.tcp.query_response[0].expect: invalid regular expression",
		"m:\n  prober: tcp\n  tcp:\n    preferred_ip_protocol: ipx\n":                        "line 4: m.tcp.preferred_ip_protocol:",
		"m:\n  prober: tcp\n  tcp:\n    source_ip_address: nope\n":                           "line 4: m.tcp.source_ip_address:",
		"m:\n  prober: tcp\n  tcp:\n    tls: true\n    query_response: [{starttls: true}]\n": "tcp.query_response: starttls",
		"m:\n  prober: tcp\n  tcp:\n    qeury_response: []\n":                                "m.tcp.qeury_response: unknown field",
	} {
		if _, err := decodeModules(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}
