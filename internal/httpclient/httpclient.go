// Package httpclient builds golive's outgoing HTTP clients (to Prometheus,
// Grafana, Alertmanager) from common/config's HTTPClientConfig, so TLS, basic
// auth, bearer tokens, OAuth2, proxies and custom headers are configured the
// same way as in Prometheus and promtool: from a --http.config.file, or from
// the same block embedded in a golive config file.
package httpclient

import (
	"fmt"
	"net/http"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/version"
)

// Default is the configuration used when none is given: Prometheus's
// defaults (redirects followed, HTTP/2 on).
func Default() config.HTTPClientConfig { return config.DefaultHTTPClientConfig }

// Load reads an HTTP client configuration file. Relative file paths in it
// (ca_file, password_file, ...) are relative to the file. An empty path is
// Default.
func Load(path string) (config.HTTPClientConfig, error) {
	if path == "" {
		return Default(), nil
	}
	cfg, _, err := config.LoadHTTPConfigFile(path)
	if err != nil {
		return config.HTTPClientConfig{}, fmt.Errorf("--http.config.file %s: %w", path, err)
	}
	return *cfg, nil
}

// New returns a client for cfg. name identifies the client in its
// connection metrics and its User-Agent (golive/<version> name).
func New(cfg config.HTTPClientConfig, name string) (*http.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("http client config: %w", err)
	}
	c, err := config.NewClientFromConfig(cfg, name,
		config.WithUserAgent(version.ComponentUserAgent("golive")+" "+name))
	if err != nil {
		return nil, fmt.Errorf("http client config: %w", err)
	}
	return c, nil
}

// FromFile is Load then New.
func FromFile(path, name string) (*http.Client, error) {
	cfg, err := Load(path)
	if err != nil {
		return nil, err
	}
	return New(cfg, name)
}
