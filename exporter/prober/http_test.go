package prober

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// probe runs ProbeHTTP against target with cfg and returns the result and
// the registry's series.
func probe(t *testing.T, target string, cfg HTTPProbe) (bool, map[string]float64) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test module invalid: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	logger, _ := testLogger(t)
	registry := prometheus.NewRegistry()
	ok := ProbeHTTP(ctx, target, Module{Prober: "http", HTTP: cfg}, registry, logger)
	return ok, gathered(t, registry)
}

func mustRegexp(t *testing.T, s string) Regexp {
	t.Helper()
	r, err := NewRegexp(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestProbeHTTPStatusCodes(t *testing.T) {
	tests := []struct {
		status int
		valid  []int
		want   bool
	}{
		{200, nil, true},
		{204, nil, true},
		{299, nil, true},
		{404, nil, false},
		{500, nil, false},
		{404, []int{404}, true},
		{200, []int{201, 404}, false},
		{503, []int{200, 503}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d in %v", tt.status, tt.valid), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			cfg := DefaultHTTPProbe()
			cfg.ValidStatusCodes = tt.valid
			ok, got := probe(t, srv.URL, cfg)
			if ok != tt.want {
				t.Errorf("success = %v, want %v", ok, tt.want)
			}
			wantSeries(t, got, map[string]float64{
				"probe_http_status_code": float64(tt.status),
				"probe_http_ssl":         0,
				"probe_http_redirects":   0,
				"probe_ip_protocol":      4,
			})
		})
	}
}

func TestProbeHTTPResponseMetrics(t *testing.T) {
	lastModified := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond) // shows up as the processing phase
		w.Header().Set("Last-Modified", lastModified.Format(http.TimeFormat))
		w.Header().Set("Content-Length", "11")
		io.WriteString(w, "hello world")
	}))
	defer srv.Close()

	ok, got := probe(t, srv.URL, DefaultHTTPProbe())
	if !ok {
		t.Fatal("probe failed")
	}
	wantSeries(t, got, map[string]float64{
		"probe_http_content_length":                  11,
		"probe_http_uncompressed_body_length":        11,
		"probe_http_version":                         1.1,
		"probe_http_last_modified_timestamp_seconds": float64(lastModified.Unix()),
		"probe_failed_due_to_regex":                  0,
		`probe_http_duration_seconds{phase="tls"}`:   0,
	})
	if p := got[`probe_http_duration_seconds{phase="processing"}`]; p < 0.05 || p > 2 {
		t.Errorf("processing phase = %v, want about the handler's 50ms", p)
	}
	for _, phase := range []string{"resolve", "connect", "transfer"} {
		if _, ok := got[`probe_http_duration_seconds{phase="`+phase+`"}`]; !ok {
			t.Errorf("phase %s missing", phase)
		}
	}
	if _, ok := got["probe_ssl_earliest_cert_expiry"]; ok {
		t.Error("probe_ssl_earliest_cert_expiry present for plain HTTP")
	}
}

func TestProbeHTTPChunkedContentLength(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "part one")
		w.(http.Flusher).Flush()
		io.WriteString(w, " and two")
	}))
	defer srv.Close()
	_, got := probe(t, srv.URL, DefaultHTTPProbe())
	// Unknown length is -1, as in blackbox_exporter.
	wantSeries(t, got, map[string]float64{"probe_http_content_length": -1, "probe_http_uncompressed_body_length": 16})
}

func TestProbeHTTPTargetWithoutScheme(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	if ok, _ := probe(t, strings.TrimPrefix(srv.URL, "http://"), DefaultHTTPProbe()); !ok {
		t.Fatal("probe of host:port failed")
	}
}

func TestProbeHTTPResolvesHostName(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Host)
	}))
	defer srv.Close()
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	cfg := DefaultHTTPProbe()
	cfg.FailIfBodyNotMatchesRegexp = []Regexp{mustRegexp(t, "^localhost:"+port+"$")}
	ok, got := probe(t, "http://localhost:"+port+"/", cfg)
	if !ok {
		t.Fatal("probe of localhost failed (or the Host header was not the target's host)")
	}
	wantSeries(t, got, map[string]float64{"probe_ip_protocol": 4, "probe_ip_addr_hash": ipHash(mustParseIP(t, "127.0.0.1"))})
}

func TestProbeHTTPRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			io.WriteString(w, "arrived")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name          string
		path          string
		noFollow      bool
		valid         []int
		want          bool
		wantStatus    float64
		wantRedirects float64
	}{
		{"followed", "/hop/3", false, nil, true, 200, 3},
		{"ten is the limit", "/hop/10", false, nil, true, 200, 10},
		{"eleven is too many", "/hop/11", false, nil, false, 302, 11},
		{"loop", "/loop", false, []int{302}, false, 302, 11},
		{"not followed", "/hop/1", true, nil, false, 302, 1},
		{"not followed, 302 accepted", "/hop/1", true, []int{302}, true, 302, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultHTTPProbe()
			cfg.NoFollowRedirects = tt.noFollow
			cfg.ValidStatusCodes = tt.valid
			ok, got := probe(t, srv.URL+tt.path, cfg)
			if ok != tt.want {
				t.Errorf("success = %v, want %v", ok, tt.want)
			}
			wantSeries(t, got, map[string]float64{
				"probe_http_status_code": tt.wantStatus,
				"probe_http_redirects":   tt.wantRedirects,
			})
		})
	}
}

func TestProbeHTTPRegexps(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Status", "degraded")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		io.WriteString(w, `{"status":"ok","db":"up"}`)
	}))
	defer srv.Close()

	tests := []struct {
		name string
		edit func(*HTTPProbe)
		want bool
	}{
		{"body must match, does", func(c *HTTPProbe) {
			c.FailIfBodyNotMatchesRegexp = []Regexp{mustRegexp(t, `"status":"ok"`)}
		}, true},
		{"body must match, does not", func(c *HTTPProbe) {
			c.FailIfBodyNotMatchesRegexp = []Regexp{mustRegexp(t, `"status":"ok"`), mustRegexp(t, `"cache":"up"`)}
		}, false},
		{"body must not match, does", func(c *HTTPProbe) {
			c.FailIfBodyMatchesRegexp = []Regexp{mustRegexp(t, `"db":"down"`), mustRegexp(t, `up`)}
		}, false},
		{"body must not match, does not", func(c *HTTPProbe) {
			c.FailIfBodyMatchesRegexp = []Regexp{mustRegexp(t, `error`)}
		}, true},
		{"header must not match, does", func(c *HTTPProbe) {
			c.FailIfHeaderMatchesRegexp = []HeaderMatch{{Header: "x-status", Regexp: mustRegexp(t, "degraded")}}
		}, false},
		{"header must match one of its values", func(c *HTTPProbe) {
			c.FailIfHeaderNotMatchesRegexp = []HeaderMatch{{Header: "X-Multi", Regexp: mustRegexp(t, "^b$")}}
		}, true},
		{"header must match, does not", func(c *HTTPProbe) {
			c.FailIfHeaderNotMatchesRegexp = []HeaderMatch{{Header: "X-Status", Regexp: mustRegexp(t, "^ok$")}}
		}, false},
		{"missing header fails", func(c *HTTPProbe) {
			c.FailIfHeaderMatchesRegexp = []HeaderMatch{{Header: "X-Absent", Regexp: mustRegexp(t, "x")}}
		}, false},
		{"missing header allowed", func(c *HTTPProbe) {
			c.FailIfHeaderNotMatchesRegexp = []HeaderMatch{{Header: "X-Absent", Regexp: mustRegexp(t, "x"), AllowMissing: true}}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultHTTPProbe()
			tt.edit(&cfg)
			ok, got := probe(t, srv.URL, cfg)
			if ok != tt.want {
				t.Errorf("success = %v, want %v", ok, tt.want)
			}
			wantSeries(t, got, map[string]float64{"probe_failed_due_to_regex": boolToFloat(!tt.want)})
		})
	}
}

func TestProbeHTTPRegexpUncompiled(t *testing.T) {
	// A module built in code without Validate still matches.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	cfg := DefaultHTTPProbe()
	cfg.FailIfBodyNotMatchesRegexp = []Regexp{{source: "^ok$"}}
	logger, _ := testLogger(t)
	if !ProbeHTTP(context.Background(), srv.URL, Module{HTTP: cfg}, prometheus.NewRegistry(), logger) {
		t.Fatal("probe failed")
	}
}

func TestProbeHTTPDeadline(t *testing.T) {
	srv := hangingServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	logger, _ := testLogger(t)
	start := time.Now()
	if ProbeHTTP(ctx, srv.URL, httpModule(), prometheus.NewRegistry(), logger) {
		t.Fatal("probe of a hanging server succeeded")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second { // the module allows 10s
		t.Fatalf("probe returned after %v, want soon after the 150ms deadline", elapsed)
	}
}

// R3.4: a health endpoint slower than the module's 10s budget fails.
func TestProbeHTTPSlowBodyHitsDeadline(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer srv.Close()
	defer close(stop)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	logger, _ := testLogger(t)
	registry := prometheus.NewRegistry()
	if ProbeHTTP(ctx, srv.URL, httpModule(), registry, logger) {
		t.Fatal("probe with a body that never ends succeeded")
	}
	wantSeries(t, gathered(t, registry), map[string]float64{"probe_http_status_code": 200})
}

func TestProbeHTTPBodySizeLimit(t *testing.T) {
	const size = 1 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, size))
	}))
	defer srv.Close()

	cfg := DefaultHTTPProbe()
	ok, got := probe(t, srv.URL, cfg)
	if !ok {
		t.Fatal("probe without a limit failed")
	}
	wantSeries(t, got, map[string]float64{"probe_http_uncompressed_body_length": size})

	cfg.BodySizeLimit = 64 << 10
	ok, got = probe(t, srv.URL, cfg)
	if ok {
		t.Fatal("probe of a 1MiB body with a 64KiB limit succeeded")
	}
	wantSeries(t, got, map[string]float64{"probe_http_uncompressed_body_length": 64 << 10})

	// The limit also bounds what the regexps read.
	cfg.FailIfBodyMatchesRegexp = []Regexp{mustRegexp(t, "never")}
	if ok, _ := probe(t, srv.URL, cfg); ok {
		t.Fatal("probe reading the body for a regexp ignored the limit")
	}
}

func TestProbeHTTPMethodBodyHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || string(body) != `{"q":1}` ||
			r.Header.Get("Content-Type") != "application/json" || r.Host != "api.internal" ||
			r.UserAgent() != "golive-prober" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	cfg := DefaultHTTPProbe()
	cfg.Method = http.MethodPost
	cfg.Body = `{"q":1}`
	cfg.Headers = map[string]string{"content-type": "application/json", "host": "api.internal"}
	if ok, got := probe(t, srv.URL, cfg); !ok {
		t.Fatalf("probe failed: status %v", got["probe_http_status_code"])
	}
}

func TestProbeHTTPAuth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if (ok && user == "ops" && pass == "s3cret-pw") || r.Header.Get("Authorization") == "Bearer t0ken" {
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	dir := t.TempDir()
	passwordFile := filepath.Join(dir, "password")
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(passwordFile, []byte("s3cret-pw\n"), 0o600)
	os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600)

	tests := []struct {
		name string
		edit func(*HTTPProbe)
		want bool
	}{
		{"none", func(c *HTTPProbe) {}, false},
		{"basic", func(c *HTTPProbe) { c.HTTPClientConfig.BasicAuth = &BasicAuth{Username: "ops", Password: "s3cret-pw"} }, true},
		{"basic wrong", func(c *HTTPProbe) { c.HTTPClientConfig.BasicAuth = &BasicAuth{Username: "ops", Password: "nope"} }, false},
		{"basic from file", func(c *HTTPProbe) {
			c.HTTPClientConfig.BasicAuth = &BasicAuth{Username: "ops", PasswordFile: passwordFile}
		}, true},
		{"bearer", func(c *HTTPProbe) { c.HTTPClientConfig.BearerToken = "t0ken" }, true},
		{"bearer from file", func(c *HTTPProbe) { c.HTTPClientConfig.BearerTokenFile = tokenFile }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultHTTPProbe()
			tt.edit(&cfg)
			if ok, _ := probe(t, srv.URL, cfg); ok != tt.want {
				t.Errorf("success = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestProbeHTTPLogsNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/unreachable", http.StatusFound)
	}))
	defer srv.Close()
	cfg := DefaultHTTPProbe()
	cfg.HTTPClientConfig.BasicAuth = &BasicAuth{Username: "ops", Password: "s3cret-pw"}
	logger, logs := testLogger(t)
	target := strings.Replace(srv.URL, "http://", "http://user:url-s3cret@", 1)
	registry := prometheus.NewRegistry()
	Run(context.Background(), target, Module{Prober: "http", Timeout: 2 * time.Second, HTTP: cfg}, registry, logger)
	if logs.Len() == 0 {
		t.Fatal("no logs captured")
	}
	for _, s := range []string{"s3cret-pw", "url-s3cret"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("logs contain secret %q:\n%s", s, logs)
		}
	}
}

// tlsServer starts an HTTPS server and writes its certificate to a CA file.
func tlsServer(t *testing.T, http2 bool) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = http2
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	cert := srv.Certificate()
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, caFile
}

func TestProbeHTTPSCertificateMetrics(t *testing.T) {
	srv, caFile := tlsServer(t, false)
	cert := srv.Certificate()
	cfg := DefaultHTTPProbe()
	cfg.HTTPClientConfig.TLSConfig.CAFile = caFile
	cfg.FailIfNotSSL = true

	ok, got := probe(t, srv.URL, cfg)
	if !ok {
		t.Fatal("probe of the TLS server with its CA failed")
	}
	fingerprint := sha256.Sum256(cert.Raw)
	info := seriesKey("probe_ssl_last_chain_info", labelPairs(
		"fingerprint_sha256", hex.EncodeToString(fingerprint[:]),
		"issuer", cert.Issuer.String(),
		"serialnumber", fmt.Sprintf("%x", cert.SerialNumber.Bytes()),
		"subject", cert.Subject.String(),
		"subjectalternative", strings.Join(cert.DNSNames, ","),
	))
	wantSeries(t, got, map[string]float64{
		"probe_http_ssl":                                1,
		"probe_ssl_earliest_cert_expiry":                float64(cert.NotAfter.Unix()),
		"probe_ssl_last_chain_expiry_timestamp_seconds": float64(cert.NotAfter.Unix()),
		`probe_tls_version_info{version="TLS 1.3"}`:     1,
		info: 1,
	})
	if got[`probe_http_duration_seconds{phase="tls"}`] <= 0 {
		t.Error("tls phase not measured")
	}
}

func TestProbeHTTPSVerification(t *testing.T) {
	srv, caFile := tlsServer(t, false)
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "https://"), ":")
	tests := []struct {
		name   string
		target string
		edit   func(*HTTPProbe)
		want   bool
	}{
		{"unknown authority", srv.URL, func(c *HTTPProbe) {}, false},
		{"insecure_skip_verify", srv.URL, func(c *HTTPProbe) { c.HTTPClientConfig.TLSConfig.InsecureSkipVerify = true }, true},
		{"fail_if_ssl", srv.URL, func(c *HTTPProbe) { c.HTTPClientConfig.TLSConfig.CAFile = caFile; c.FailIfSSL = true }, false},
		// httptest's certificate names example.com, not localhost.
		{"name mismatch", "https://localhost:" + port, func(c *HTTPProbe) { c.HTTPClientConfig.TLSConfig.CAFile = caFile }, false},
		{"server_name", "https://localhost:" + port, func(c *HTTPProbe) {
			c.HTTPClientConfig.TLSConfig.CAFile = caFile
			c.HTTPClientConfig.TLSConfig.ServerName = "example.com"
		}, true},
		{"host header names the server", "https://localhost:" + port, func(c *HTTPProbe) {
			c.HTTPClientConfig.TLSConfig.CAFile = caFile
			c.Headers = map[string]string{"Host": "example.com"}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultHTTPProbe()
			tt.edit(&cfg)
			if ok, _ := probe(t, tt.target, cfg); ok != tt.want {
				t.Errorf("success = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestProbeHTTPFailIfNotSSL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	cfg := DefaultHTTPProbe()
	cfg.FailIfNotSSL = true
	if ok, _ := probe(t, srv.URL, cfg); ok {
		t.Fatal("plain HTTP passed fail_if_not_ssl")
	}
}

func TestProbeHTTPVersions(t *testing.T) {
	srv, caFile := tlsServer(t, true)
	tests := []struct {
		name        string
		http2       bool
		valid       []string
		want        bool
		wantVersion float64
	}{
		{"h2 negotiated", true, nil, true, 2},
		{"h2 not wanted", true, []string{"HTTP/1.1"}, false, 2},
		{"h2 wanted", true, []string{"HTTP/1.1", "HTTP/2.0"}, true, 2},
		{"http2 disabled", false, []string{"HTTP/1.1"}, true, 1.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultHTTPProbe()
			cfg.HTTPClientConfig.TLSConfig.CAFile = caFile
			cfg.HTTPClientConfig.EnableHTTP2 = tt.http2
			cfg.ValidHTTPVersions = tt.valid
			ok, got := probe(t, srv.URL, cfg)
			if ok != tt.want {
				t.Errorf("success = %v, want %v", ok, tt.want)
			}
			wantSeries(t, got, map[string]float64{"probe_http_version": tt.wantVersion})
		})
	}
}

func TestProbeHTTPRedirectToHTTPSKeepsCertificateOfFinalHop(t *testing.T) {
	secure, caFile := tlsServer(t, false)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, secure.URL+"/", http.StatusMovedPermanently)
	}))
	defer plain.Close()
	cfg := DefaultHTTPProbe()
	cfg.HTTPClientConfig.TLSConfig.CAFile = caFile
	cfg.FailIfNotSSL = true
	ok, got := probe(t, plain.URL, cfg)
	if !ok {
		t.Fatal("redirect to HTTPS failed")
	}
	wantSeries(t, got, map[string]float64{"probe_http_ssl": 1, "probe_http_redirects": 1,
		"probe_ssl_earliest_cert_expiry": float64(secure.Certificate().NotAfter.Unix())})
}

func TestProbeHTTPBadTargets(t *testing.T) {
	for _, target := range []string{"http://", "http://[::1", "http://%zz"} {
		t.Run(target, func(t *testing.T) {
			ok, got := probe(t, target, DefaultHTTPProbe())
			if ok {
				t.Fatal("probe of a malformed target succeeded")
			}
			if _, has := got["probe_http_status_code"]; !has {
				t.Error("probe_http_status_code missing: the http metrics should be registered regardless")
			}
		})
	}
}

func TestProbeHTTPRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	target := srv.URL
	srv.Close()
	ok, got := probe(t, target, DefaultHTTPProbe())
	if ok {
		t.Fatal("probe of a closed port succeeded")
	}
	wantSeries(t, got, map[string]float64{"probe_http_status_code": 0, "probe_ip_protocol": 4})
}

func labelPairs(kv ...string) []*dto.LabelPair {
	var out []*dto.LabelPair
	for i := 0; i+1 < len(kv); i += 2 {
		name, value := kv[i], kv[i+1]
		out = append(out, &dto.LabelPair{Name: &name, Value: &value})
	}
	return out
}

func mustParseIP(t *testing.T, s string) []byte {
	t.Helper()
	u, err := url.Parse("http://" + s)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := (&net.Resolver{}).LookupIP(context.Background(), "ip4", u.Hostname())
	if err != nil || len(addrs) == 0 {
		t.Fatalf("resolving %s: %v", s, err)
	}
	return addrs[0]
}
