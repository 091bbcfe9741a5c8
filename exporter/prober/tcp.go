package prober

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"gopkg.in/yaml.v3"
	"log/slog"
	"net"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// TCPProbe configures the tcp prober (blackbox_exporter's tcp module).
type TCPProbe struct {
	IPProtocol         string             `yaml:"preferred_ip_protocol,omitempty"` // ip4 (default) or ip6
	IPProtocolFallback *bool              `yaml:"ip_protocol_fallback,omitempty"`  // default true
	SourceIPAddress    string             `yaml:"source_ip_address,omitempty"`
	QueryResponse      []TCPQueryResponse `yaml:"query_response,omitempty"`
	TLS                bool               `yaml:"tls,omitempty"`
	TLSConfig          TLSConfig          `yaml:"tls_config,omitempty"`
}

// TCPQueryResponse is one step of a line-based conversation: wait for a line
// matching Expect (if set), then send Send (with $1-style expansion of the
// match), then optionally upgrade to TLS.
type TCPQueryResponse struct {
	Expect   Regexp `yaml:"expect,omitempty"`
	Send     string `yaml:"send,omitempty"`
	StartTLS bool   `yaml:"starttls,omitempty"`
}

// UnmarshalYAML applies the defaults, decodes strictly and validates; the
// decoder reports Validate's errors at the offending field's line.
func (p *TCPProbe) UnmarshalYAML(value *yaml.Node) error {
	*p = TCPProbe{}
	type tcpSection TCPProbe
	if err := yamlx.DecodeStrict(value, (*tcpSection)(p)); err != nil {
		return err
	}
	return p.Validate()
}

// Validate checks the settings and compiles the expect expressions. Each
// error starts with the yaml field it is about.
func (p *TCPProbe) Validate() error {
	if err := validIPProtocol(p.IPProtocol); err != nil {
		return fmt.Errorf("preferred_ip_protocol: %w", err)
	}
	if err := validSourceIP(p.SourceIPAddress); err != nil {
		return err
	}
	for i := range p.QueryResponse {
		qr := &p.QueryResponse[i]
		if qr.Expect.String() == "" {
			continue
		}
		if err := qr.Expect.compile(); err != nil {
			return fmt.Errorf("query_response[%d].expect: %w", i, err)
		}
	}
	if p.StartsTLS() && p.TLS {
		return errors.New("query_response: starttls on a connection that tls: true already encrypted")
	}
	return validateTLS(p.TLSConfig)
}

// StartsTLS reports whether a query_response step upgrades to TLS.
func (p *TCPProbe) StartsTLS() bool {
	return slices.ContainsFunc(p.QueryResponse, func(qr TCPQueryResponse) bool { return qr.StartTLS })
}

func validSourceIP(s string) error {
	if s != "" && net.ParseIP(s) == nil {
		return fmt.Errorf("source_ip_address: %q is not an IP address", s)
	}
	return nil
}

// fallbackOrDefault reads an ip_protocol_fallback that defaults to true.
func fallbackOrDefault(b *bool) bool { return b == nil || *b }

// ProbeTCP connects to target (host:port), optionally over TLS, and walks
// the query_response steps, as blackbox_exporter's tcp prober does.
func ProbeTCP(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	cfg := module.TCP
	failedDueToRegex := prometheus.NewGauge(probeFailedDueToRegexOpts)
	registry.MustRegister(failedDueToRegex)

	host, port, err := net.SplitHostPort(target)
	if err != nil || host == "" || port == "" {
		logger.Error("Target is not host:port", "target", target)
		return false
	}
	ip, _, err := resolveTarget(ctx, host, cfg.IPProtocol, fallbackOrDefault(cfg.IPProtocolFallback), registry, logger)
	if err != nil {
		logger.Error("Error resolving address", "err", err)
		return false
	}
	conn, err := dialTCP(ctx, cfg, host, net.JoinHostPort(ip.IP.String(), port), ip)
	if err != nil {
		logger.Error("Error dialing TCP", "err", err)
		return false
	}
	defer conn.Close()
	logger.Debug("Successfully dialed")

	// The deadline bounds every read and write below, even a peer that
	// accepts and then never says a word.
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		logger.Error("Error setting deadline", "err", err)
		return false
	}
	if tc, ok := conn.(*tls.Conn); ok {
		registerTCPTLSMetrics(registry, tc.ConnectionState())
	}
	return converse(ctx, conn, cfg, host, failedDueToRegex, registry, logger)
}

func dialTCP(ctx context.Context, cfg TCPProbe, host, addr string, ip *net.IPAddr) (net.Conn, error) {
	network := "tcp4"
	if ip.IP.To4() == nil {
		network = "tcp6"
	}
	dialer := &net.Dialer{}
	if cfg.SourceIPAddress != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(cfg.SourceIPAddress)}
	}
	if !cfg.TLS {
		return dialer.DialContext(ctx, network, addr)
	}
	// The server name defaults to the target's host: we dial the resolved IP.
	tlsConfig, err := buildTLS(cfg.TLSConfig, host)
	if err != nil {
		return nil, err
	}
	return (&tls.Dialer{NetDialer: dialer, Config: tlsConfig}).DialContext(ctx, network, addr)
}

// converse walks the query_response steps. A step's expect reads lines until
// one matches; send may use the match's groups ($1, ${name}).
func converse(ctx context.Context, conn net.Conn, cfg TCPProbe, host string, failedDueToRegex prometheus.Gauge, registry *prometheus.Registry, logger *slog.Logger) bool {
	scanner := bufio.NewScanner(conn)
	for i, qr := range cfg.QueryResponse {
		send := qr.Send
		if qr.Expect.String() != "" {
			re, err := qr.Expect.compiled()
			if err != nil {
				logger.Error("Invalid expect", "step", i, "err", err)
				return false
			}
			var match []int
			for scanner.Scan() {
				logger.Debug("Read line", "line", scanner.Text())
				if match = re.FindSubmatchIndex(scanner.Bytes()); match != nil {
					break
				}
			}
			if err := scanner.Err(); err != nil {
				logger.Error("Error reading from connection", "step", i, "err", err)
				return false
			}
			if match == nil {
				failedDueToRegex.Set(1)
				logger.Error("Regexp did not match", "step", i, "regexp", qr.Expect)
				return false
			}
			failedDueToRegex.Set(0)
			send = string(re.Expand(nil, []byte(send), scanner.Bytes(), match))
		}
		if send != "" {
			if _, err := fmt.Fprintf(conn, "%s\n", send); err != nil {
				logger.Error("Failed to send", "step", i, "err", err)
				return false
			}
		}
		if qr.StartTLS {
			tlsConfig, err := buildTLS(cfg.TLSConfig, host)
			if err != nil {
				logger.Error("Failed to create TLS configuration", "err", err)
				return false
			}
			tc := tls.Client(conn, tlsConfig)
			if err := tc.HandshakeContext(ctx); err != nil {
				logger.Error("TLS handshake (client) failed", "err", err)
				return false
			}
			conn = tc
			scanner = bufio.NewScanner(conn)
			registerTCPTLSMetrics(registry, tc.ConnectionState())
		}
	}
	return true
}

// registerTCPTLSMetrics is what blackbox's tcp prober reports for a TLS
// connection: the earliest certificate expiry, the TLS version and, when the
// chain was verified, the last chain's expiry.
func registerTCPTLSMetrics(registry *prometheus.Registry, state tls.ConnectionState) {
	earliest := prometheus.NewGauge(probeSSLEarliestCertExpiryOpts)
	version := prometheus.NewGaugeVec(probeTLSVersionOpts, []string{"version"})
	registry.MustRegister(earliest, version)
	earliest.Set(float64(earliestCertExpiry(state.PeerCertificates).Unix()))
	version.WithLabelValues(tlsVersionName(state.Version)).Set(1)
	if len(state.VerifiedChains) > 0 {
		lastChain := prometheus.NewGauge(probeSSLLastChainExpiryOpts)
		registry.MustRegister(lastChain)
		lastChain.Set(float64(lastChainExpiry(state.VerifiedChains).Unix()))
	}
}
