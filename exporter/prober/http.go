package prober

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/config"
	"golang.org/x/net/publicsuffix"
)

// maxRedirects is how many redirects a probe follows, as in blackbox_exporter.
const maxRedirects = 10

const userAgent = "golive-prober"

// ProbeHTTP requests target (a URL; http:// is assumed without a scheme) as
// module.HTTP describes and reports blackbox_exporter's probe_http_* metrics.
// Every request carries ctx, and the client and its transports live for this
// probe only.
func ProbeHTTP(ctx context.Context, target string, module Module, registry *prometheus.Registry, logger *slog.Logger) bool {
	cfg := module.HTTP
	m := newHTTPMetrics(registry)

	u, err := parseHTTPTarget(target)
	if err != nil {
		logger.Info("Could not parse target URL", "err", err)
		return false
	}
	ip, lookupSeconds, err := resolveTarget(ctx, u.Hostname(), cfg.IPProtocol, cfg.IPProtocolFallback, registry, logger)
	m.phases.WithLabelValues("resolve").Add(lookupSeconds)
	if err != nil {
		logger.Info("Error resolving address", "err", err)
		return false
	}

	redirects := &redirectPolicy{noFollow: cfg.NoFollowRedirects || !cfg.HTTPClientConfig.FollowRedirects, logger: logger}
	client, transport, err := newHTTPClient(ctx, &cfg, u, ip, redirects)
	if err != nil {
		logger.Info("Error creating HTTP client", "err", err)
		return false
	}
	defer client.CloseIdleConnections()

	req, err := newHTTPRequest(ctx, &cfg, u, transport)
	if err != nil {
		logger.Info("Error creating request", "err", err)
		return false
	}
	logger.Debug("Making HTTP request", "url", u.Redacted(), "host", req.Host)
	resp, err := client.Do(req)
	success := false
	if err != nil {
		logger.Info("Error for HTTP request", "err", err)
	} else {
		defer resp.Body.Close() // checkResponse closes it too; closing twice is harmless
		success = checkResponse(resp, &cfg, m, registry, transport, logger)
	}
	transport.observe(m.phases)
	m.redirects.Set(float64(redirects.count))
	if redirects.exceeded {
		logger.Info("Too many redirects", "max", maxRedirects)
		success = false
	}
	return success
}

// parseHTTPTarget accepts a URL or host[:port][/path].
func parseHTTPTarget(target string) (*url.URL, error) {
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	if u.Hostname() == "" {
		return nil, errors.New("target has no host")
	}
	return u, nil
}

// redirectPolicy counts redirects as blackbox_exporter does (a redirect
// that is not followed still counts) and stops after maxRedirects.
type redirectPolicy struct {
	noFollow bool
	logger   *slog.Logger
	count    int
	exceeded bool
}

func (p *redirectPolicy) check(req *http.Request, via []*http.Request) error {
	p.count = len(via)
	p.logger.Debug("Received redirect", "location", req.URL.Redacted())
	if p.noFollow {
		return http.ErrUseLastResponse
	}
	if p.count > maxRedirects {
		p.exceeded = true
		return http.ErrUseLastResponse
	}
	return nil
}

// newHTTPClient builds this probe's client from common/config's
// HTTPClientConfig (TLS, proxies, HTTP/2 and the auth round trippers: basic,
// authorization, bearer, OAuth2), as blackbox_exporter does, with what a
// probe needs on top:
//   - Connections to the target's own host:port go to the address resolved
//     up front (so preferred_ip_protocol holds and the URL keeps its host
//     name for SNI, certificate checks and cookies); redirects elsewhere
//     resolve normally.
//   - Every connection of the probe, the OAuth2 token request's included
//     (common/config makes that one without the request's context), ends
//     when the probe's context does.
//   - Redirects to another host go through a second transport without the
//     credentials and without tls_config.server_name, so neither the
//     target's secrets nor its server name reach a host it redirects to.
//   - Keep-alives are off so that each redirect's phases are timed on a
//     fresh connection.
func newHTTPClient(ctx context.Context, cfg *HTTPProbe, u *url.URL, ip *net.IPAddr, redirects *redirectPolicy) (*http.Client, *probeTransport, error) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	firstAddr := net.JoinHostPort(u.Hostname(), port)
	resolvedAddr := net.JoinHostPort(ip.String(), port)
	dialer := &net.Dialer{}
	dial := func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		if strings.EqualFold(addr, firstAddr) {
			addr = resolvedAddr
		}
		dialCtx, cancel := context.WithCancel(dialCtx)
		defer cancel()
		stopDial := context.AfterFunc(ctx, cancel)
		defer stopDial()
		conn, err := dialer.DialContext(dialCtx, network, addr)
		if err != nil {
			return nil, err
		}
		// After ctx ends, not at its deadline, so that the probe's error
		// is the context's and says that the deadline cut it.
		context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
		return conn, nil
	}
	opts := []config.HTTPClientOption{config.WithDialContextFunc(dial), config.WithKeepAlivesDisabled()}

	primaryCfg := cfg.HTTPClientConfig
	if primaryCfg.TLSConfig.ServerName == "" {
		primaryCfg.TLSConfig.ServerName = hostHeader(cfg.Headers)
	}
	// Fail here, with the file named, rather than in the first round trip.
	if _, err := buildTLS(primaryCfg.TLSConfig, ""); err != nil {
		return nil, nil, err
	}
	primary, err := config.NewRoundTripperFromConfig(primaryCfg, "http_probe", opts...)
	if err != nil {
		return nil, nil, err
	}
	otherCfg := cfg.HTTPClientConfig
	otherCfg.TLSConfig.ServerName = ""
	otherCfg.BasicAuth, otherCfg.Authorization, otherCfg.OAuth2 = nil, nil, nil
	otherCfg.BearerToken, otherCfg.BearerTokenFile = "", ""
	other, err := config.NewRoundTripperFromConfig(otherCfg, "http_probe", opts...)
	if err != nil {
		return nil, nil, err
	}
	transport := &probeTransport{firstHost: u.Host, primary: primary, other: other}
	jar, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	if err != nil {
		return nil, nil, fmt.Errorf("cookie jar: %w", err)
	}
	client := &http.Client{Transport: transport, Jar: jar, CheckRedirect: redirects.check}
	return client, transport, nil
}

// hostHeader returns a configured Host header, which also names the TLS
// server when tls_config sets no server_name.
func hostHeader(headers map[string]string) string {
	for name, value := range headers {
		if textproto.CanonicalMIMEHeaderKey(name) == "Host" {
			return value
		}
	}
	return ""
}

func newHTTPRequest(ctx context.Context, cfg *HTTPProbe, u *url.URL, transport *probeTransport) (*http.Request, error) {
	method := cfg.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if cfg.Body != "" {
		body = strings.NewReader(cfg.Body)
	}
	ctx = httptrace.WithClientTrace(ctx, transport.clientTrace())
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for name, value := range cfg.Headers {
		if textproto.CanonicalMIMEHeaderKey(name) == "Host" {
			req.Host = value
			continue
		}
		req.Header.Set(name, value)
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header.Set("User-Agent", userAgent)
	}
	return req, nil
}

// checkResponse judges the final response, reads its body (within
// body_size_limit) and sets the response metrics.
func checkResponse(resp *http.Response, cfg *HTTPProbe, m *httpMetrics, registry *prometheus.Registry, transport *probeTransport, logger *slog.Logger) bool {
	logger.Debug("Received HTTP response", "status_code", resp.StatusCode)
	success := validStatus(resp.StatusCode, cfg.ValidStatusCodes)
	if !success {
		logger.Info("Invalid HTTP response status code", "status_code", resp.StatusCode, "valid_status_codes", fmt.Sprint(cfg.ValidStatusCodes))
	}
	if success && len(cfg.FailIfHeaderMatchesRegexp)+len(cfg.FailIfHeaderNotMatchesRegexp) > 0 {
		success = matchHeaders(resp.Header, cfg, logger)
		m.failedDueToRegex.Set(boolToFloat(!success))
	}
	success = readBody(resp, cfg, m, success, logger)
	transport.markEnd()

	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		registry.MustRegister(m.lastModified)
		m.lastModified.Set(float64(t.Unix()))
	}
	version, err := strconv.ParseFloat(strings.TrimPrefix(resp.Proto, "HTTP/"), 64)
	if err != nil {
		logger.Info("Error parsing version number from HTTP version", "proto", resp.Proto)
	}
	m.version.Set(version)
	if len(cfg.ValidHTTPVersions) > 0 && !slices.Contains(cfg.ValidHTTPVersions, resp.Proto) {
		logger.Info("Invalid HTTP version number", "version", resp.Proto)
		success = false
	}
	success = checkTLS(resp, cfg, m, registry, success, logger)
	m.statusCode.Set(float64(resp.StatusCode))
	m.contentLength.Set(float64(resp.ContentLength))
	return success
}

// readBody matches the body regexps when the probe is still succeeding,
// then reads the rest of the body and closes it; a read error (a body over
// body_size_limit, a deadline) fails the probe.
func readBody(resp *http.Response, cfg *HTTPProbe, m *httpMetrics, success bool, logger *slog.Logger) bool {
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if cfg.BodySizeLimit > 0 {
		body = http.MaxBytesReader(nil, resp.Body, int64(cfg.BodySizeLimit))
	}
	counter := &byteCounter{Reader: body}
	defer func() { m.bodyLength.Set(float64(counter.n)) }()
	if success && len(cfg.FailIfBodyMatchesRegexp)+len(cfg.FailIfBodyNotMatchesRegexp) > 0 {
		success = matchBody(counter, cfg, logger)
		m.failedDueToRegex.Set(boolToFloat(!success))
	}
	if _, err := io.Copy(io.Discard, counter); err != nil {
		logger.Info("Failed to read HTTP response body", "err", err)
		return false
	}
	return success
}

// checkTLS reports the final connection's TLS state and applies
// fail_if_ssl and fail_if_not_ssl.
func checkTLS(resp *http.Response, cfg *HTTPProbe, m *httpMetrics, registry *prometheus.Registry, success bool, logger *slog.Logger) bool {
	if resp.TLS == nil {
		if cfg.FailIfNotSSL && success {
			logger.Info("Final request was not over SSL")
			return false
		}
		return success
	}
	m.ssl.Set(1)
	registerTLSMetrics(registry, resp.TLS)
	if cfg.FailIfSSL {
		logger.Info("Final request was over SSL")
		return false
	}
	return success
}

func validStatus(code int, valid []int) bool {
	if len(valid) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(valid, code)
}

func matchHeaders(header http.Header, cfg *HTTPProbe, logger *slog.Logger) bool {
	for _, rule := range cfg.FailIfHeaderMatchesRegexp {
		values, ok := headerValues(header, rule, logger)
		if !ok {
			return false
		}
		re, err := rule.Regexp.compiled()
		if err != nil {
			logger.Info("Invalid regular expression", "err", err)
			return false
		}
		if slices.ContainsFunc(values, re.MatchString) {
			logger.Info("Header matched regular expression", "header", rule.Header, "regexp", rule.Regexp.String())
			return false
		}
	}
	for _, rule := range cfg.FailIfHeaderNotMatchesRegexp {
		values, ok := headerValues(header, rule, logger)
		if !ok {
			return false
		}
		if len(values) == 0 {
			continue
		}
		re, err := rule.Regexp.compiled()
		if err != nil {
			logger.Info("Invalid regular expression", "err", err)
			return false
		}
		if !slices.ContainsFunc(values, re.MatchString) {
			logger.Info("Header did not match regular expression", "header", rule.Header, "regexp", rule.Regexp.String())
			return false
		}
	}
	return true
}

// headerValues returns the rule's header values; a missing header fails
// the rule unless allow_missing is set.
func headerValues(header http.Header, rule HeaderMatch, logger *slog.Logger) ([]string, bool) {
	values := header.Values(rule.Header)
	if len(values) == 0 && !rule.AllowMissing {
		logger.Info("Missing required header", "header", rule.Header)
		return nil, false
	}
	return values, true
}

func matchBody(body io.Reader, cfg *HTTPProbe, logger *slog.Logger) bool {
	data, err := io.ReadAll(body)
	if err != nil {
		logger.Info("Error reading HTTP body", "err", err)
		return false
	}
	for _, r := range cfg.FailIfBodyMatchesRegexp {
		re, err := r.compiled()
		if err != nil || re.Match(data) {
			logger.Info("Body matched regular expression", "regexp", r.String(), "err", err)
			return false
		}
	}
	for _, r := range cfg.FailIfBodyNotMatchesRegexp {
		re, err := r.compiled()
		if err != nil || !re.Match(data) {
			logger.Info("Body did not match regular expression", "regexp", r.String(), "err", err)
			return false
		}
	}
	return true
}

func boolToFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
