package prober

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/config"
)

// TLSConfig is a prober's tls_config: common/config's, as in
// blackbox_exporter and Prometheus, so a blackbox module's tls_config
// (ca_file or inline ca, cert_file/key_file or cert/key, server_name,
// insecure_skip_verify, min_version, max_version) works unchanged. Files are
// read each time a client is built and the client certificate at each
// handshake, so renewed certificates are picked up without a reload.
type TLSConfig = config.TLSConfig

// validateTLS loads the configured files once so that a bad path or a broken
// PEM shows up when the config is checked, not at the first probe.
func validateTLS(c TLSConfig) error {
	for _, f := range []struct{ field, path string }{{"ca_file", c.CAFile}, {"cert_file", c.CertFile}, {"key_file", c.KeyFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.ReadFile(f.path); err != nil {
			return fmt.Errorf("tls_config.%s: %w", f.field, err)
		}
	}
	_, err := buildTLS(c, "")
	return err
}

// buildTLS returns a fresh *tls.Config. serverName is used when the config
// sets no server_name; "" lets crypto/tls take it from the dialled host.
// Errors start with tls_config so that the config decoder can place them.
func buildTLS(c TLSConfig, serverName string) (*tls.Config, error) {
	if c.ServerName == "" {
		c.ServerName = serverName
	}
	cfg, err := config.NewTLSConfig(&c)
	if err != nil {
		return nil, fmt.Errorf("tls_config: %w", err)
	}
	return cfg, nil
}

// registerTLSMetrics registers and sets blackbox_exporter's probe_ssl_* and
// probe_tls_* metrics for one TLS connection.
func registerTLSMetrics(registry *prometheus.Registry, state *tls.ConnectionState) {
	earliest := prometheus.NewGauge(probeSSLEarliestCertExpiryOpts)
	lastChain := prometheus.NewGauge(probeSSLLastChainExpiryOpts)
	version := prometheus.NewGaugeVec(probeTLSVersionOpts, []string{"version"})
	cipher := prometheus.NewGaugeVec(probeTLSCipherOpts, []string{"cipher"})
	registry.MustRegister(earliest, lastChain, version, cipher)

	earliest.Set(float64(earliestCertExpiry(state.PeerCertificates).Unix()))
	lastChain.Set(float64(lastChainExpiry(state.VerifiedChains).Unix()))
	version.WithLabelValues(tlsVersionName(state.Version)).Set(1)
	cipher.WithLabelValues(tls.CipherSuiteName(state.CipherSuite)).Set(1)

	if len(state.PeerCertificates) == 0 {
		return
	}
	info := prometheus.NewGaugeVec(probeSSLLastChainInfoOpts, sslLastChainInfoLabels)
	registry.MustRegister(info)
	leaf := state.PeerCertificates[0]
	fingerprint := sha256.Sum256(leaf.Raw)
	info.WithLabelValues(
		hex.EncodeToString(fingerprint[:]),
		leaf.Subject.String(),
		leaf.Issuer.String(),
		strings.Join(leaf.DNSNames, ","),
		// Hex of the bytes, not SerialNumber.Text(16): keeps leading zeros,
		// as blackbox_exporter does.
		fmt.Sprintf("%x", leaf.SerialNumber.Bytes()),
	).Set(1)
}

func earliestCertExpiry(certs []*x509.Certificate) time.Time {
	var earliest time.Time
	for _, cert := range certs {
		if !cert.NotAfter.IsZero() && (earliest.IsZero() || cert.NotAfter.Before(earliest)) {
			earliest = cert.NotAfter
		}
	}
	return earliest
}

// lastChainExpiry is when the last verified chain stops being valid: the
// latest of each chain's earliest expiry.
func lastChainExpiry(chains [][]*x509.Certificate) time.Time {
	var last time.Time
	for _, chain := range chains {
		if e := earliestCertExpiry(chain); last.IsZero() || last.Before(e) {
			last = e
		}
	}
	return last
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLS 1.0"
	case tls.VersionTLS11:
		return "TLS 1.1"
	case tls.VersionTLS12:
		return "TLS 1.2"
	case tls.VersionTLS13:
		return "TLS 1.3"
	}
	return "unknown"
}
