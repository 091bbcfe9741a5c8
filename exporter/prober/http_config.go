package prober

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/internal/yamlx"
)

// HTTPProbe configures the http prober. Keys and semantics follow
// blackbox_exporter's http module, except that preferred_ip_protocol
// defaults to ip4.
type HTTPProbe struct {
	// ValidStatusCodes accepted; empty means any 2xx.
	ValidStatusCodes []int `yaml:"valid_status_codes,omitempty"`
	// ValidHTTPVersions accepted, as Go reports them: HTTP/1.0, HTTP/1.1, HTTP/2.0.
	ValidHTTPVersions []string          `yaml:"valid_http_versions,omitempty"`
	Method            string            `yaml:"method,omitempty"`
	Headers           map[string]string `yaml:"headers,omitempty"`
	Body              string            `yaml:"body,omitempty"`
	// NoFollowRedirects is blackbox_exporter's older spelling of
	// follow_redirects: false; either stops at the first redirect.
	NoFollowRedirects bool `yaml:"no_follow_redirects,omitempty"`
	FailIfSSL         bool `yaml:"fail_if_ssl,omitempty"`
	FailIfNotSSL      bool `yaml:"fail_if_not_ssl,omitempty"`

	FailIfBodyMatchesRegexp      []Regexp      `yaml:"fail_if_body_matches_regexp,omitempty"`
	FailIfBodyNotMatchesRegexp   []Regexp      `yaml:"fail_if_body_not_matches_regexp,omitempty"`
	FailIfHeaderMatchesRegexp    []HeaderMatch `yaml:"fail_if_header_matches,omitempty"`
	FailIfHeaderNotMatchesRegexp []HeaderMatch `yaml:"fail_if_header_not_matches,omitempty"`

	IPProtocol         string `yaml:"preferred_ip_protocol,omitempty"`
	IPProtocolFallback bool   `yaml:"ip_protocol_fallback"`

	// HTTPClientConfig is inline, as in blackbox_exporter: tls_config,
	// basic_auth, authorization, bearer_token(_file), oauth2, proxy_url,
	// no_proxy, proxy_from_environment, proxy_connect_header,
	// follow_redirects, enable_http2 and http_headers sit directly in the
	// http section, with common/config's meaning and checks. It is a named
	// field rather than an embedded one so that its yaml.v2 UnmarshalYAML is
	// not promoted to HTTPProbe's plain type, which would then decode the
	// whole section as a client config.
	HTTPClientConfig config.HTTPClientConfig `yaml:"http_client_config,inline"`

	// BodySizeLimit caps the bytes read from the response body; 0 means
	// no limit. A larger body fails the probe.
	BodySizeLimit ByteSize `yaml:"body_size_limit,omitempty"`
}

// HeaderMatch is one fail_if_header_(not_)matches rule.
type HeaderMatch struct {
	Header       string `yaml:"header"`
	Regexp       Regexp `yaml:"regexp"`
	AllowMissing bool   `yaml:"allow_missing,omitempty"`
}

// BasicAuth is an http module's basic_auth (username or username_file,
// password or password_file).
type BasicAuth = config.BasicAuth

// DefaultHTTPProbe returns the settings an http section starts from:
// common/config's client defaults (follow redirects, HTTP/2 on).
func DefaultHTTPProbe() HTTPProbe {
	return HTTPProbe{IPProtocol: IP4, IPProtocolFallback: true, HTTPClientConfig: config.DefaultHTTPClientConfig}
}

// UnmarshalYAML applies the defaults, decodes strictly and validates; the
// decoder reports Validate's errors at the offending field's line. The
// inline client config is decoded field by field by the strict decoder, so
// its unknown keys are refused with their path and HTTPClientConfig's own
// UnmarshalYAML (its Validate) does not run: Validate calls it.
func (p *HTTPProbe) UnmarshalYAML(value *yaml.Node) error {
	*p = DefaultHTTPProbe()
	type httpSection HTTPProbe
	if err := yamlx.DecodeStrict(value, (*httpSection)(p)); err != nil {
		return err
	}
	return p.Validate()
}

// Validate checks the settings and compiles the regular expressions. Each
// error starts with the yaml field it is about.
func (p *HTTPProbe) Validate() error {
	for i, code := range p.ValidStatusCodes {
		if code < 100 || code > 599 {
			return fmt.Errorf("valid_status_codes[%d]: %d is not an HTTP status code (100-599)", i, code)
		}
	}
	for i, v := range p.ValidHTTPVersions {
		switch v {
		case "HTTP/1.0", "HTTP/1.1", "HTTP/2.0":
		default:
			return fmt.Errorf("valid_http_versions[%d]: %q is not one of HTTP/1.0, HTTP/1.1, HTTP/2.0", i, v)
		}
	}
	if p.Method != "" && !isToken(p.Method) {
		return fmt.Errorf("method: %q is not an HTTP method", p.Method)
	}
	for name := range p.Headers {
		if !isToken(name) {
			return fmt.Errorf("headers: %q is not a valid header name", name)
		}
	}
	if p.FailIfSSL && p.FailIfNotSSL {
		return errors.New("fail_if_ssl: together with fail_if_not_ssl no probe can succeed")
	}
	if err := validIPProtocol(p.IPProtocol); err != nil {
		return fmt.Errorf("preferred_ip_protocol: %w", err)
	}
	if err := p.compileRegexps(); err != nil {
		return err
	}
	return p.validateClient()
}

func (p *HTTPProbe) compileRegexps() error {
	for field, res := range map[string][]Regexp{
		"fail_if_body_matches_regexp":     p.FailIfBodyMatchesRegexp,
		"fail_if_body_not_matches_regexp": p.FailIfBodyNotMatchesRegexp,
	} {
		for i := range res {
			if err := res[i].compile(); err != nil {
				return fmt.Errorf("%s[%d]: %w", field, i, err)
			}
		}
	}
	for field, matches := range map[string][]HeaderMatch{
		"fail_if_header_matches":     p.FailIfHeaderMatchesRegexp,
		"fail_if_header_not_matches": p.FailIfHeaderNotMatchesRegexp,
	} {
		for i := range matches {
			if matches[i].Header == "" {
				return fmt.Errorf("%s[%d].header: must be set", field, i)
			}
			if err := matches[i].Regexp.compile(); err != nil {
				return fmt.Errorf("%s[%d].regexp: %w", field, i, err)
			}
		}
	}
	return nil
}

// validateClient checks the client settings, the common mistakes first with
// their own field paths, then common/config's Validate for the rest; it
// loads tls_config's files and checks that each *_file secret can be read
// now rather than at the first probe. The secrets themselves are read again
// for each probe, so rotated credentials apply without a reload. No message
// holds a secret, only the names of fields and files.
func (p *HTTPProbe) validateClient() error {
	c := &p.HTTPClientConfig
	bearer := c.BearerToken != "" || c.BearerTokenFile != ""
	type twin struct {
		field  string
		inline config.Secret
		file   string
	}
	twins := []twin{{"bearer_token", c.BearerToken, c.BearerTokenFile}}
	if c.BasicAuth != nil {
		if bearer || c.Authorization != nil || c.OAuth2 != nil {
			return errors.New("basic_auth: at most one of basic_auth and bearer_token(_file), authorization or oauth2 may be set")
		}
		if c.BasicAuth.Username == "" && c.BasicAuth.UsernameFile == "" {
			return errors.New("basic_auth.username: must be set")
		}
		twins = append(twins,
			twin{"basic_auth.username", config.Secret(c.BasicAuth.Username), c.BasicAuth.UsernameFile},
			twin{"basic_auth.password", c.BasicAuth.Password, c.BasicAuth.PasswordFile})
	}
	if c.Authorization != nil {
		if bearer || c.OAuth2 != nil {
			return errors.New("authorization: at most one of authorization and bearer_token(_file) or oauth2 may be set")
		}
		twins = append(twins, twin{"authorization.credentials", c.Authorization.Credentials, c.Authorization.CredentialsFile})
	}
	if c.OAuth2 != nil {
		if bearer {
			return errors.New("oauth2: at most one of oauth2 and bearer_token(_file) may be set")
		}
		twins = append(twins, twin{"oauth2.client_secret", c.OAuth2.ClientSecret, c.OAuth2.ClientSecretFile})
		if err := validateTLS(c.OAuth2.TLSConfig); err != nil {
			return fmt.Errorf("oauth2.%w", err)
		}
	}
	for _, t := range twins {
		if _, err := secret.Resolve(t.field, secret.Secret(t.inline), t.file, ""); err != nil {
			return err
		}
	}
	if err := validateTLS(c.TLSConfig); err != nil {
		return err
	}
	return c.Validate()
}

// isToken reports whether s is an RFC 9110 token (method and header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// Regexp is a regular expression from the config (RE2 syntax, unanchored,
// as in blackbox_exporter).
type Regexp struct {
	source string
	re     *regexp.Regexp
}

// NewRegexp compiles s.
func NewRegexp(s string) (Regexp, error) {
	r := Regexp{source: s}
	err := r.compile()
	return r, err
}

func (r *Regexp) compile() error {
	if r.re != nil {
		return nil
	}
	re, err := regexp.Compile(r.source)
	if err != nil {
		return fmt.Errorf("invalid regular expression %q: %w", r.source, err)
	}
	r.re = re
	return nil
}

// compiled returns the expression, compiling a copy when the module was
// built in code and never validated.
func (r Regexp) compiled() (*regexp.Regexp, error) {
	err := r.compile()
	return r.re, err
}

func (r Regexp) String() string { return r.source }

// UnmarshalYAML keeps the source; HTTPProbe.Validate compiles it so that the
// error can name the field.
func (r *Regexp) UnmarshalYAML(unmarshal func(any) error) error {
	*r = Regexp{}
	return unmarshal(&r.source)
}

// MarshalYAML writes the source back.
func (r Regexp) MarshalYAML() (any, error) { return r.source, nil }

// ByteSize is a size in bytes; YAML accepts a number of bytes or a number
// with a unit: B, KB, MB, GB, KiB, MiB, GiB. As in blackbox_exporter
// (alecthomas/units.Base2Bytes), KB and KiB both mean 1024 bytes.
type ByteSize int64

// UnmarshalYAML parses the size.
func (b *ByteSize) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err != nil {
		return err
	}
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b = ByteSize(n)
	return nil
}

type sizeError struct{ value string }

func (e *sizeError) Error() string {
	return fmt.Sprintf("%q is not a size such as 1048576, 512KiB or 10MB", e.value)
}

func parseByteSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		factor int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1},
	}
	factor, digits := int64(1), s
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			factor, digits = u.factor, strings.TrimSpace(strings.TrimSuffix(s, u.suffix))
			break
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/factor {
		return 0, &sizeError{s}
	}
	return n * factor, nil
}
