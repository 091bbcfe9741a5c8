package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// HTTPCall is one templated request: the runbook's load balancer API
// (`POST https://lb.company.local/api/config` with a bearer token and a JSON
// traffic split) or a user-routing API. Authentication and TLS are
// Prometheus's HTTP client settings inline (bearer_token_file,
// authorization, basic_auth, tls_config, proxy_url, http_headers), so
// secrets come from files and never sit in the plan.
type HTTPCall struct {
	// Method defaults to POST.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// URL is a template (values through {{urlquery ...}} where they go
	// into a query string).
	URL string `yaml:"url" json:"url"`
	// Headers are plain, non-secret headers; secret ones belong in
	// http_headers with files.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is a text/template of the request body; {{json .X}} writes a
	// value as JSON. A body without a Content-Type header is sent as
	// application/json and must render to valid JSON.
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// SuccessCodes are the statuses that mean done (default: any 2xx).
	SuccessCodes []int `yaml:"success_codes,omitempty" json:"success_codes,omitempty"`
	// Timeout bounds the request (default 10s).
	Timeout model.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`

	// Client is a named field, not an embedded one: embedding would promote
	// HTTPClientConfig's UnmarshalYAML and decode nothing else.
	Client config.HTTPClientConfig `yaml:",inline" json:"client"`
}

// DefaultHTTPTimeout bounds a call without its own timeout.
const DefaultHTTPTimeout = 10 * time.Second

// maxResponse bounds what is read of an answer (a user list at most).
const maxResponse = 4 << 20

var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

func (c *HTTPCall) validate(field string) []error {
	var errs []error
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	switch c.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		errs = append(errs, fmt.Errorf("%s.method: %q is not one of GET, POST, PUT, PATCH, DELETE", field, c.Method))
	}
	if c.URL == "" {
		errs = append(errs, fmt.Errorf("%s.url: required", field))
	} else if _, err := template.New("url").Funcs(templateFuncs).Parse(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("%s.url: %w", field, err))
	} else if !strings.Contains(c.URL, "{{") {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s.url: %q is not an http(s) URL with a host", field, redactURL(c.URL)))
		} else if u.User != nil {
			errs = append(errs, fmt.Errorf("%s.url: credentials in the URL; use basic_auth with password_file", field))
		}
	}
	if c.Body != "" {
		if _, err := template.New("body").Funcs(templateFuncs).Parse(c.Body); err != nil {
			errs = append(errs, fmt.Errorf("%s.body: %w", field, err))
		}
	}
	for i, code := range c.SuccessCodes {
		if code < 100 || code > 599 {
			errs = append(errs, fmt.Errorf("%s.success_codes[%d]: %d is not an HTTP status code", field, i, code))
		}
	}
	for k := range c.Headers {
		if strings.EqualFold(k, "Authorization") {
			errs = append(errs, fmt.Errorf("%s.headers: Authorization is a secret; use bearer_token_file or authorization.credentials_file", field))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%s.timeout: negative", field))
	}
	if err := c.Client.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", field, err))
	}
	return errs
}

// redactURL drops userinfo and the query string from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.String()
}

// Request is a rendered call: what an audit line or a dry run shows
// (headers from files are not rendered here and never shown).
type Request struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Body   string `json:"body,omitempty"`
}

// Render fills the call's templates with data.
func (c *HTTPCall) Render(data any) (Request, error) {
	var r Request
	r.Method = c.Method
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	u, err := execute("url", c.URL, data)
	if err != nil {
		return r, err
	}
	r.URL = u
	if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return r, fmt.Errorf("url renders to %q, not an http(s) URL with a host", redactURL(u))
	}
	if c.Body != "" {
		b, err := execute("body", c.Body, data)
		if err != nil {
			return r, err
		}
		if c.jsonBody() && !json.Valid([]byte(b)) {
			return r, fmt.Errorf("body renders to invalid JSON (use {{json .Value}} for values): %.200s", b)
		}
		r.Body = b
	}
	return r, nil
}

func (c *HTTPCall) jsonBody() bool {
	for k := range c.Headers {
		if strings.EqualFold(k, "Content-Type") {
			return false
		}
	}
	return true
}

func execute(name, text string, data any) (string, error) {
	t, err := template.New(name).Funcs(templateFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return b.String(), nil
}

// Response is what came back from a call.
type Response struct {
	Status int
	Body   []byte
}

// ErrStatus wraps an answer with a status outside the success codes.
var ErrStatus = errors.New("unexpected HTTP status")

// caller sends rendered calls; one per HTTPCall, built once.
type caller struct {
	call   *HTTPCall
	client *http.Client
}

func newCaller(c *HTTPCall, name string) (*caller, error) {
	cfg := c.Client
	// Inline decoding skips common/config's own defaults.
	cfg.FollowRedirects = false
	cfg.EnableHTTP2 = true
	client, err := config.NewClientFromConfig(cfg, name)
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(c.Timeout)
	if timeout == 0 {
		timeout = DefaultHTTPTimeout
	}
	client.Timeout = timeout
	return &caller{call: c, client: client}, nil
}

// do renders and sends the call; a status outside the success codes is an
// error wrapping ErrStatus, with the start of the answer.
func (cl *caller) do(ctx context.Context, data any) (Request, Response, error) {
	req, err := cl.call.Render(data)
	if err != nil {
		return req, Response{}, err
	}
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return req, Response{}, err
	}
	for k, v := range cl.call.Headers {
		hr.Header.Set(k, v)
	}
	if req.Body != "" && cl.call.jsonBody() {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("User-Agent", "golive-rollout")
	resp, err := cl.client.Do(hr)
	if err != nil {
		return req, Response{}, fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL), scrub(err, req.URL))
	}
	defer resp.Body.Close()
	data2, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return req, Response{Status: resp.StatusCode}, fmt.Errorf("%s %s: read answer: %w", req.Method, redactURL(req.URL), err)
	}
	if len(data2) > maxResponse {
		return req, Response{Status: resp.StatusCode}, fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, redactURL(req.URL), maxResponse)
	}
	out := Response{Status: resp.StatusCode, Body: data2}
	if !cl.success(resp.StatusCode) {
		return req, out, fmt.Errorf("%s %s: %w %d: %.200s", req.Method, redactURL(req.URL), ErrStatus, resp.StatusCode, strings.TrimSpace(string(data2)))
	}
	return req, out, nil
}

// scrub keeps url.Error from repeating the full URL (its query may carry a
// token) in an error that reaches logs and the timeline.
func scrub(err error, raw string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return errors.New(strings.ReplaceAll(err.Error(), raw, redactURL(raw)))
}

func (cl *caller) success(code int) bool {
	if len(cl.call.SuccessCodes) == 0 {
		return code >= 200 && code < 300
	}
	for _, c := range cl.call.SuccessCodes {
		if c == code {
			return true
		}
	}
	return false
}
