// Package httpaction is the `http` remediation kind: one templated HTTP
// request (method, URL, headers, body) with credentials read from files
// and a list of status codes that mean success.
package httpaction

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

// Config is an http action. URL, headers and body may use {name}
// substitutions (values are path-escaped in the URL).
type Config struct {
	Method        string               `yaml:"method,omitempty"` // default POST
	URL           string               `yaml:"url"`
	Headers       map[string]string    `yaml:"headers,omitempty"`
	Body          string               `yaml:"body,omitempty"`
	Substitutions action.Substitutions `yaml:"substitutions,omitempty"`
	// BearerTokenFile or BasicAuth add credentials at run time; they are
	// never stored with the request.
	BearerTokenFile string     `yaml:"bearer_token_file,omitempty"`
	BasicAuth       *BasicAuth `yaml:"basic_auth,omitempty"`
	// SuccessCodes default to every 2xx.
	SuccessCodes   []int          `yaml:"success_codes,omitempty"`
	Timeout        model.Duration `yaml:"timeout,omitempty"` // default 10s
	MaxOutputBytes int            `yaml:"max_output_bytes,omitempty"`
	// Idempotent: the endpoint tolerates a repeat (PUT of a state, say).
	Idempotent bool `yaml:"idempotent,omitempty"`
}

// BasicAuth is a user and a password file.
type BasicAuth struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// Validate checks c.
func (c *Config) Validate(field string) error {
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	c.Method = strings.ToUpper(c.Method)
	if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, c.Method) {
		return fmt.Errorf("%s.method: %q is not one of GET, POST, PUT, PATCH, DELETE", field, c.Method)
	}
	u, err := url.Parse(strings.NewReplacer("{", "", "}", "").Replace(c.URL))
	if c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s.url: %q is not an http(s) URL", field, c.URL)
	}
	if u.User != nil {
		return fmt.Errorf("%s.url: credentials in the URL would be stored and shown; use bearer_token_file or basic_auth", field)
	}
	_, rest, _ := strings.Cut(c.URL, "://")
	if host, _, _ := strings.Cut(rest, "/"); action.HasPlaceholder(host) {
		return fmt.Errorf("%s.url: the host cannot come from a substitution", field)
	}
	for _, code := range c.SuccessCodes {
		if code < 100 || code > 599 {
			return fmt.Errorf("%s.success_codes: %d is not an HTTP status code", field, code)
		}
	}
	if c.BasicAuth != nil && (c.BasicAuth.Username == "" || c.BasicAuth.PasswordFile == "") {
		return fmt.Errorf("%s.basic_auth: username and password_file are required", field)
	}
	if c.BasicAuth != nil && c.BearerTokenFile != "" {
		return fmt.Errorf("%s: bearer_token_file and basic_auth are exclusive", field)
	}
	templates := map[string]string{"url": c.URL, "body": c.Body}
	for k, v := range c.Headers {
		if strings.EqualFold(k, "Authorization") {
			return fmt.Errorf("%s.headers.%s: credentials in headers would be stored and shown; use bearer_token_file or basic_auth", field, k)
		}
		templates["headers."+k] = v
	}
	return c.Substitutions.Compile(field, templates)
}

// Action is a configured http action.
type Action struct {
	c      Config
	auth   func(*http.Request)
	client *http.Client
}

// New reads the credential files and returns the action.
func New(c Config) (*Action, error) {
	if c.Timeout == 0 {
		c.Timeout = model.Duration(10 * time.Second)
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = 16 << 10
	}
	a := &Action{c: c, auth: func(*http.Request) {}, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	switch {
	case c.BearerTokenFile != "":
		tok, err := readSecret(c.BearerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bearer_token_file: %w", err)
		}
		a.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	case c.BasicAuth != nil:
		pw, err := readSecret(c.BasicAuth.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("basic_auth.password_file: %w", err)
		}
		a.auth = func(r *http.Request) { r.SetBasicAuth(c.BasicAuth.Username, pw) }
	}
	return a, nil
}

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("the file is empty")
	}
	return s, nil
}

// Idempotent implements action.Action.
func (a *Action) Idempotent() bool { return a.c.Idempotent }

// Plan implements action.Action.
func (a *Action) Plan(t action.Trigger) (action.Request, error) {
	req := action.Request{Method: a.c.Method, URL: a.c.URL, Body: a.c.Body}
	vals, err := a.c.Substitutions.Values(t.Labels)
	if err != nil {
		return req, err
	}
	req.URL = action.Expand(a.c.URL, vals, url.PathEscape)
	req.Body = action.Expand(a.c.Body, vals, nil)
	if len(a.c.Headers) > 0 {
		req.Headers = map[string]string{}
		for k, v := range a.c.Headers {
			req.Headers[k] = action.Expand(v, vals, nil)
		}
	}
	return req, nil
}

// Run implements action.Action: a status in SuccessCodes succeeds; 5xx,
// 408, 429 and transport errors may be retried; other codes may not.
func (a *Action) Run(ctx context.Context, r action.Request) (action.Report, bool, error) {
	var rep action.Report
	ctx, cancel := context.WithTimeout(ctx, time.Duration(a.c.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewBufferString(r.Body))
	if err != nil {
		return rep, false, fmt.Errorf("http: %w", err)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	if r.Body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	a.auth(req)
	start := time.Now()
	resp, err := a.client.Do(req)
	rep.Duration = time.Since(start)
	if err != nil {
		var ne net.Error
		return rep, errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded), fmt.Errorf("http %s %s: %w", r.Method, redact(r.URL), err)
	}
	defer resp.Body.Close()
	out := &action.Bounded{Max: a.c.MaxOutputBytes}
	_, _ = io.Copy(out, io.LimitReader(resp.Body, int64(a.c.MaxOutputBytes)+1))
	rep.HTTPStatus, rep.Output, rep.Truncated = resp.StatusCode, out.String(), out.Truncated()
	if a.success(resp.StatusCode) {
		return rep, false, nil
	}
	retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout
	return rep, retry, fmt.Errorf("http %s %s: status %d", r.Method, redact(r.URL), resp.StatusCode)
}

func (a *Action) success(code int) bool {
	if len(a.c.SuccessCodes) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(a.c.SuccessCodes, code)
}

// redact drops the query, which may carry tokens of the far end.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}
