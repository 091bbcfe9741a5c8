package prober

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TLSConfig is a prober's tls_config, as in Prometheus' http_client_config.
// Files are read each time a client is built, so renewed certificates are
// picked up without a reload.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file,omitempty"`
	CertFile           string `yaml:"cert_file,omitempty"`
	KeyFile            string `yaml:"key_file,omitempty"`
	ServerName         string `yaml:"server_name,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

// Validate loads the configured files once so that a bad path or a broken
// PEM shows up when the config is checked, not at the first probe.
func (c TLSConfig) Validate() error {
	_, err := c.Build("")
	return err
}

// Build returns a fresh *tls.Config. serverName is used when the config sets
// no server_name; "" lets crypto/tls take it from the dialled host.
func (c TLSConfig) Build(serverName string) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         serverName,
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // The operator asked for it, e.g. for a self-signed health endpoint.
	}
	if c.ServerName != "" {
		cfg.ServerName = c.ServerName
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_config.ca_file: %s holds no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("tls_config: cert_file and key_file must be set together")
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config.cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
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
