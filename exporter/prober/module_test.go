package prober

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// decodeModules decodes as the exporter config does: strictly.
func decodeModules(src string) (map[string]Module, error) {
	var modules map[string]Module
	err := yamlx.Unmarshal([]byte(src), &modules)
	return modules, err
}

func TestModuleDefaults(t *testing.T) {
	modules, err := decodeModules("m:\n  prober: http\n")
	if err != nil {
		t.Fatal(err)
	}
	m := modules["m"]
	if m.Timeout != 10*time.Second {
		t.Errorf("timeout = %v, want 10s", m.Timeout)
	}
	h := m.HTTP
	if h.IPProtocol != "ip4" || !h.IPProtocolFallback || !h.HTTPClientConfig.EnableHTTP2 {
		t.Errorf("http defaults = ip %q fallback %v http2 %v, want ip4 true true", h.IPProtocol, h.IPProtocolFallback, h.HTTPClientConfig.EnableHTTP2)
	}
	// An http section that sets something keeps the other defaults.
	modules, err = decodeModules("m:\n  prober: http\n  http:\n    method: HEAD\n")
	if err != nil {
		t.Fatal(err)
	}
	if h := modules["m"].HTTP; h.Method != "HEAD" || h.IPProtocol != "ip4" || !h.IPProtocolFallback {
		t.Errorf("partial http section lost defaults: %+v", h)
	}
}

func TestModuleDecodesEveryHTTPOption(t *testing.T) {
	src, err := os.ReadFile("testdata/http-modules.yml")
	if err != nil {
		t.Fatal(err)
	}
	modules, err := decodeModules(string(src))
	if err != nil {
		t.Fatal(err)
	}
	m := modules["http_health"]
	h := m.HTTP
	checks := []struct {
		what string
		ok   bool
	}{
		{"timeout", m.Timeout == 5*time.Second},
		{"method", h.Method == "POST"},
		{"headers", h.Headers["Content-Type"] == "application/json" && h.Headers["Host"] == "api.example.com"},
		{"body", h.Body == `{"check":"deep"}`},
		{"valid_status_codes", len(h.ValidStatusCodes) == 2 && h.ValidStatusCodes[1] == 204},
		{"valid_http_versions", len(h.ValidHTTPVersions) == 2 && h.ValidHTTPVersions[1] == "HTTP/2.0"},
		{"no_follow_redirects", h.NoFollowRedirects},
		{"fail_if_not_ssl", h.FailIfNotSSL && !h.FailIfSSL},
		{"fail_if_body_matches_regexp", len(h.FailIfBodyMatchesRegexp) == 1 && h.FailIfBodyMatchesRegexp[0].re.MatchString(`"status": "down"`)},
		{"fail_if_body_not_matches_regexp", len(h.FailIfBodyNotMatchesRegexp) == 1 && h.FailIfBodyNotMatchesRegexp[0].String() == `"status":\s*"ok"`},
		{"fail_if_header_matches", len(h.FailIfHeaderMatchesRegexp) == 1 && h.FailIfHeaderMatchesRegexp[0].AllowMissing && h.FailIfHeaderMatchesRegexp[0].Regexp.re != nil},
		{"fail_if_header_not_matches", len(h.FailIfHeaderNotMatchesRegexp) == 1 && h.FailIfHeaderNotMatchesRegexp[0].Header == "Content-Type"},
		{"preferred_ip_protocol", h.IPProtocol == "ip6"},
		{"ip_protocol_fallback", !h.IPProtocolFallback},
		{"enable_http2", !h.HTTPClientConfig.EnableHTTP2},
		{"body_size_limit", h.BodySizeLimit == 1<<20},
		{"tls_config", h.HTTPClientConfig.TLSConfig.InsecureSkipVerify && h.HTTPClientConfig.TLSConfig.ServerName == "api.example.com"},
		{"basic_auth", h.HTTPClientConfig.BasicAuth != nil && h.HTTPClientConfig.BasicAuth.Username == "prober" && string(h.HTTPClientConfig.BasicAuth.Password) == "hunter2"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s not decoded as written", c.what)
		}
	}
}

func TestModuleMarshalHidesSecrets(t *testing.T) {
	modules, err := decodeModules("m:\n  prober: http\n  http:\n    basic_auth: {username: u, password: hunter2}\n    bearer_token: ''\n")
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(modules)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") {
		t.Fatalf("marshalled module shows the password:\n%s", out)
	}
}

func TestModuleInvalid(t *testing.T) {
	dir := t.TempDir()
	caFile := dir + "/missing-ca.pem"
	passwordFile := dir + "/pw"
	if err := os.WriteFile(passwordFile, []byte("pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"prober missing", "m:\n  timeout: 5s\n", "line 2: m.prober: must be set"},
		{"prober unknown", "m:\n  prober: htp\n", `line 2: m.prober: "htp" is not one of dns, http, icmp, postgres, redis, tcp`},
		{"timeout negative", "m:\n  prober: http\n  timeout: -1s\n", `line 3: m.timeout: "-1s" is not a duration`},
		{"timeout not a duration", "m:\n  prober: http\n  timeout: soon\n", `line 3: m.timeout: "soon" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w`},
		{"unknown module field", "m:\n  prober: http\n  retries: 3\n", "line 3: m.retries: unknown field"},
		{"unknown http field", "m:\n  prober: http\n  http:\n    valid_status_code: [200]\n", "line 4: m.http.valid_status_code: unknown field"},
		{"unknown tls field", "m:\n  prober: http\n  http:\n    tls_config: {ca_fle: x}\n", "line 4: m.http.tls_config.ca_fle: unknown field"},
		{"status code", "m:\n  prober: http\n  http:\n    method: GET\n    valid_status_codes: [200, 2000]\n", "line 5: m.http.valid_status_codes[1]: 2000 is not an HTTP status code"},
		{"http version", "m:\n  prober: http\n  http:\n    valid_http_versions: [HTTP/2]\n", `line 4: m.http.valid_http_versions[0]: "HTTP/2" is not one of`},
		{"method", "m:\n  prober: http\n  http:\n    method: GET /\n", `http.method: "GET /" is not an HTTP method`},
		{"header name", "m:\n  prober: http\n  http:\n    headers: {'Bad Header': x}\n", `http.headers: "Bad Header" is not a valid header name`},
		{"body regexp", "m:\n  prober: http\n  http:\n    fail_if_body_matches_regexp: [ok, '(']\n", "line 4: m.http.fail_if_body_matches_regexp[1]: invalid regular expression \"(\""},
		{"header regexp", "m:\n  prober: http\n  http:\n    fail_if_header_not_matches: [{header: X, regexp: '[a'}]\n", "http.fail_if_header_not_matches[0].regexp: invalid regular expression"},
		{"header missing", "m:\n  prober: http\n  http:\n    fail_if_header_matches: [{regexp: a}]\n", "http.fail_if_header_matches[0].header: must be set"},
		{"both ssl flags", "m:\n  prober: http\n  http:\n    fail_if_ssl: true\n    fail_if_not_ssl: true\n", "line 4: m.http.fail_if_ssl: together with fail_if_not_ssl"},
		{"ip protocol", "m:\n  prober: http\n  http:\n    preferred_ip_protocol: ip5\n", `line 4: m.http.preferred_ip_protocol: "ip5" is not ip4 or ip6`},
		{"body size", "m:\n  prober: http\n  http:\n    body_size_limit: lots\n", `http.body_size_limit: "lots" is not a size`},
		{"body size negative", "m:\n  prober: http\n  http:\n    body_size_limit: -5\n", `http.body_size_limit: "-5" is not a size`},
		{"basic and bearer", "m:\n  prober: http\n  http:\n    bearer_token: t\n    basic_auth: {username: u, password: p}\n", "line 5: m.http.basic_auth: at most one of basic_auth and bearer_token"},
		{"basic without user", "m:\n  prober: http\n  http:\n    basic_auth: {password: p}\n", "http.basic_auth.username: must be set"},
		{"password twice", "m:\n  prober: http\n  http:\n    basic_auth: {username: u, password: p, password_file: " + passwordFile + "}\n", "line 4: m.http.basic_auth.password: basic_auth.password and basic_auth.password_file: at most one"},
		{"token file missing", "m:\n  prober: http\n  http:\n    bearer_token_file: " + dir + "/nope\n", "line 4: m.http.bearer_token_file: open"},
		{"ca file missing", "m:\n  prober: http\n  http:\n    tls_config: {ca_file: " + caFile + "}\n", "line 4: m.http.tls_config.ca_file: open"},
		{"cert without key", "m:\n  prober: http\n  http:\n    tls_config: {cert_file: " + passwordFile + "}\n", "line 4: m.http.tls_config: exactly one of key or key_file must be configured when a client certificate is configured"},
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
		})
	}
}

func TestModuleInvalidFiles(t *testing.T) {
	for file, want := range map[string]string{
		"testdata/invalid-unknown-field.yml": "line 4: http_2xx.http.valid_status_code: unknown field",
		"testdata/invalid-status-code.yml":   "line 6: http_2xx.http.valid_status_codes[1]: 2000 is not an HTTP status code (100-599)",
		"testdata/invalid-regexp.yml":        `line 6: http_2xx.http.fail_if_body_not_matches_regexp[1]: invalid regular expression "(unclosed"`,
	} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		_, err = decodeModules(string(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", file, err, want)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"512B", 512, false},
		{"64KiB", 64 << 10, false},
		{"64KB", 64 << 10, false},
		{"10 MB", 10 << 20, false},
		{"2GiB", 2 << 30, false},
		{"1.5MB", 0, true},
		{"MB", 0, true},
		{"-1", 0, true},
		{"10TB", 0, true},
		{"99999999999999GB", 0, true},
	}
	for _, tt := range tests {
		got, err := parseByteSize(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d, bad=%v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}
