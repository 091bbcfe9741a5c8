package prober

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"gopkg.in/yaml.v3"
)

// assertNoSecret fails when any of the texts (logs, errors, metrics, a
// marshalled config) holds one of the secrets.
func assertNoSecret(t *testing.T, secrets []string, texts map[string]string) {
	t.Helper()
	for what, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q:\n%s", what, s, text)
			}
		}
	}
}

// probeModule decodes one blackbox-format module named m from src, probes
// target with it and returns the result, the logs and the exposition.
func probeModule(t *testing.T, src, target string) (bool, string, string) {
	t.Helper()
	modules, err := decodeModules(src)
	if err != nil {
		t.Fatalf("module: %v", err)
	}
	logger, logs := testLogger(t)
	registry := prometheus.NewRegistry()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ok := Run(ctx, target, modules["m"], registry, logger)
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var exposition strings.Builder
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&exposition, f); err != nil {
			t.Fatal(err)
		}
	}
	marshalled, err := yaml.Marshal(modules)
	if err != nil {
		t.Fatal(err)
	}
	return ok, logs.String() + "\n" + string(marshalled), exposition.String()
}

func writeSecret(t *testing.T, name, value string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProbeHTTPOAuth2BlackboxModule(t *testing.T) {
	const clientSecret, accessToken = "cl1ent-s3cret-xyz", "acc3ss-t0ken-xyz"
	var tokenRequests atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if r.Method != http.MethodPost || r.FormValue("grant_type") != "client_credentials" ||
			id != "golive" || secret != clientSecret || r.FormValue("scope") != "probe" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		tokenRequests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, accessToken)
	}))
	defer tokens.Close()
	// The target redirects to another host (127.0.0.1 vs localhost): the
	// token must reach the target and not the other host.
	var leakedToOther atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leakedToOther.Store(true)
		}
	}))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+accessToken {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.URL.Path == "/away" {
			http.Redirect(w, r, otherURL+"/", http.StatusFound)
		}
	}))
	defer target.Close()
	secretFile := writeSecret(t, "client-secret", clientSecret)

	module := func() string {
		return `m:
  prober: http
  timeout: 5s
  http:
    valid_status_codes: [200]
    preferred_ip_protocol: ip4
    oauth2:
      client_id: golive
      client_secret_file: ` + secretFile + `
      scopes: [probe]
      token_url: ` + tokens.URL + `/token
`
	}
	ok, logs, metrics := probeModule(t, module(), target.URL)
	if !ok || tokenRequests.Load() != 1 {
		t.Fatalf("oauth2 probe: success %v after %d token requests, want true after 1\n%s", ok, tokenRequests.Load(), logs)
	}
	assertNoSecret(t, []string{clientSecret, accessToken}, map[string]string{"logs and config": logs, "metrics": metrics})

	ok, logs, _ = probeModule(t, module(), target.URL+"/away")
	if !ok {
		t.Fatalf("redirected probe failed:\n%s", logs)
	}
	if leakedToOther.Load() {
		t.Error("the token reached the host the target redirected to")
	}

	// A token endpoint that refuses makes the probe fail, naming no secret.
	if err := os.WriteFile(secretFile, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok, logs, metrics = probeModule(t, module(), target.URL)
	if ok {
		t.Fatal("probe succeeded with a refused client secret")
	}
	assertNoSecret(t, []string{clientSecret, "wrong"}, map[string]string{"logs and config": logs, "metrics": metrics})
}

func TestProbeHTTPAuthorizationCredentialsFile(t *testing.T) {
	const credentials = "cr3dentials-from-file"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token "+credentials {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	file := writeSecret(t, "credentials", credentials)
	src := "m:\n  prober: http\n  http:\n    authorization:\n      type: Token\n      credentials_file: " + file + "\n"
	ok, logs, metrics := probeModule(t, src, srv.URL)
	if !ok {
		t.Fatalf("probe with authorization.credentials_file failed:\n%s", logs)
	}
	assertNoSecret(t, []string{credentials}, map[string]string{"logs and config": logs, "metrics": metrics})

	// The file is read for each probe: a rotated credential applies at once.
	if err := os.WriteFile(file, []byte("rotated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := probeModule(t, src, srv.URL); ok {
		t.Error("probe still succeeded after the credentials file changed")
	}
}

func TestProbeHTTPFollowRedirectsKey(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/next", http.StatusFound)
		}
	}))
	defer srv.Close()
	for _, tt := range []struct {
		setting string
		want    bool
	}{
		{"follow_redirects: true", true},
		{"follow_redirects: false", false},
		{"no_follow_redirects: true", false},
	} {
		src := "m:\n  prober: http\n  http:\n    valid_status_codes: [200]\n    " + tt.setting + "\n"
		if ok, logs, _ := probeModule(t, src, srv.URL); ok != tt.want {
			t.Errorf("%s: success %v, want %v\n%s", tt.setting, ok, tt.want, logs)
		}
	}
}

func TestHTTPClientConfigStrictErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, src, want string }{
		{"unknown oauth2 key", "m:\n  prober: http\n  http:\n    oauth2:\n      client_id: a\n      client_secrett: b\n",
			"line 6: m.http.oauth2.client_secrett: unknown field"},
		{"unknown basic_auth key", "m:\n  prober: http\n  http:\n    basic_auth:\n      username: u\n      pasword: p\n",
			"line 6: m.http.basic_auth.pasword: unknown field"},
		{"unknown authorization key", "m:\n  prober: http\n  http:\n    authorization: {type: Bearer, credential: x}\n",
			"line 4: m.http.authorization.credential: unknown field"},
		{"unknown tls_config key", "m:\n  prober: http\n  http:\n    tls_config:\n      insecure_skip_verify: true\n      server: x\n",
			"line 6: m.http.tls_config.server: unknown field"},
		{"unknown tcp tls_config key", "m:\n  prober: tcp\n  tcp:\n    tls_config:\n      ca_fil: x\n",
			"line 5: m.tcp.tls_config.ca_fil: unknown field"},
		{"unknown oauth2 tls_config key", "m:\n  prober: http\n  http:\n    oauth2:\n      tls_config: {keyfile: x}\n",
			"line 5: m.http.oauth2.tls_config.keyfile: unknown field"},
		{"credentials file missing", "m:\n  prober: http\n  http:\n    authorization: {credentials_file: " + dir + "/nope}\n",
			"line 4: m.http.authorization.credentials_file: open"},
		{"client secret file missing", "m:\n  prober: http\n  http:\n    oauth2: {client_id: a, token_url: 'http://127.0.0.1/t', client_secret_file: " + dir + "/nope}\n",
			"line 4: m.http.oauth2.client_secret_file: open"},
		{"credentials twice", "m:\n  prober: http\n  http:\n    authorization: {credentials: hunter2, credentials_file: /x}\n",
			"line 4: m.http.authorization.credentials: authorization.credentials and authorization.credentials_file: at most one"},
		{"oauth2 and authorization", "m:\n  prober: http\n  http:\n    authorization: {credentials: hunter2}\n    oauth2: {client_id: a, token_url: 'http://127.0.0.1/t'}\n",
			"line 4: m.http.authorization: at most one of authorization and bearer_token(_file) or oauth2"},
		{"bad min_version", "m:\n  prober: tcp\n  tcp:\n    tls_config: {min_version: TLS19}\n",
			`line 4: m.tcp.tls_config.min_version: unknown TLS version: TLS19`},
		{"bad proxy_url", "m:\n  prober: http\n  http:\n    proxy_url: '://x'\n", "line 4: m.http.proxy_url:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeModules(tt.src)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tt.want)
			}
			assertNoSecret(t, []string{"hunter2"}, map[string]string{"error": err.Error()})
		})
	}
}

func TestProbeHTTPProxyURL(t *testing.T) {
	const proxyPassword = "pr0xy-pw-xyz"
	var proxied atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A forward proxy gets the absolute URL; this one answers itself.
		proxied.Store(r.URL.String())
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte("p:"+proxyPassword))
		if r.Header.Get("Proxy-Authorization") != want {
			w.WriteHeader(http.StatusProxyAuthRequired)
		}
	}))
	defer proxy.Close()
	target := "http://127.0.0.1:1/health" // nothing listens there: only the proxy can answer
	withUser := strings.Replace(proxy.URL, "http://", "http://p:"+proxyPassword+"@", 1)
	ok, logs, metrics := probeModule(t, "m:\n  prober: http\n  http:\n    valid_status_codes: [200]\n    proxy_url: "+withUser+"\n", target)
	if !ok {
		t.Fatalf("probe through the proxy failed:\n%s", logs)
	}
	if got, _ := proxied.Load().(string); got != target {
		t.Errorf("proxy got %q, want the absolute target URL %q", got, target)
	}
	assertNoSecret(t, []string{proxyPassword}, map[string]string{"logs and config": logs, "metrics": metrics})
	if ok, _, _ := probeModule(t, "m:\n  prober: http\n  http:\n    proxy_url: "+proxy.URL+"\n", target); ok {
		t.Error("probe without the proxy's credentials succeeded")
	}
}

func TestProbeHTTPOAuth2TokenFetchKeepsTheDeadline(t *testing.T) {
	tokens := hangingServer(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	modules, err := decodeModules("m:\n  prober: http\n  http:\n    oauth2: {client_id: a, client_secret: b, token_url: '" + tokens.URL + "'}\n")
	if err != nil {
		t.Fatal(err)
	}
	logger, _ := testLogger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if ProbeHTTP(ctx, target.URL, modules["m"], prometheus.NewRegistry(), logger) {
		t.Error("probe succeeded without a token")
	}
	// common/config fetches the token without the request's context; the
	// probe's own dialer must still end that connection.
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("probe took %v past a 300ms deadline while the token endpoint hung", elapsed)
	}
}

func TestProbeHTTPHTTPHeadersBlock(t *testing.T) {
	const apiKey = "k3y-from-file-xyz"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != apiKey || r.Header.Get("X-Team") != "sre" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	file := writeSecret(t, "api-key", apiKey)
	src := "m:\n  prober: http\n  http:\n    http_headers:\n      X-Team: {values: [sre]}\n      X-Api-Key: {files: [" + file + "]}\n"
	ok, logs, metrics := probeModule(t, src, srv.URL)
	if !ok {
		t.Fatalf("probe with http_headers failed:\n%s", logs)
	}
	assertNoSecret(t, []string{apiKey}, map[string]string{"logs and config": logs, "metrics": metrics})
}
