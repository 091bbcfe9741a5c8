// Package grafana imports golive's dashboards into a running Grafana through
// its HTTP API (POST /api/dashboards/db, /api/folders). It uses net/http and
// encoding/json directly rather than grafana-tools/sdk, which sends the
// deprecated numeric folder ID instead of folderUid, loses Grafana's
// refusal status and panics on an error without a message (sdk_test.go).
package grafana

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
	"time"

	"github.com/golive-ops/golive/internal/secret"
)

// maxResponse bounds how much of a Grafana answer is read.
const maxResponse = 1 << 20

// Options configure a Client.
type Options struct {
	// URL is Grafana's root URL, e.g. http://grafana:3000 (a sub-path such
	// as /grafana is kept).
	URL string
	// Token is a service account token or API key, sent as a Bearer token.
	// Empty when HTTPClient authenticates (basic auth, a client certificate).
	Token secret.Secret
	// Timeout bounds each request; zero means 30s.
	Timeout    time.Duration
	HTTPClient *http.Client
}

// Client talks to one Grafana.
type Client struct {
	base    *url.URL
	token   secret.Secret
	timeout time.Duration
	http    *http.Client
}

// New validates opts and returns a Client. It does not contact Grafana.
func New(opts Options) (*Client, error) {
	if opts.URL == "" {
		return nil, errors.New("grafana URL is empty")
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // url.Error repeats the URL, password included
			err = ue.Err
		}
		return nil, fmt.Errorf("grafana URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("grafana URL %s: want http(s)://host[:port][/path]", u.Redacted())
	}
	c := &Client{base: u, token: opts.Token, timeout: opts.Timeout, http: opts.HTTPClient}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	return c, nil
}

// APIError is a non-2xx answer from Grafana, with Grafana's own explanation.
type APIError struct {
	Method, Path string
	StatusCode   int
	// Status is Grafana's machine-readable reason when it gives one
	// (version-mismatch, name-exists, plugin-dashboard).
	Status  string
	Message string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Status != "" {
		fmt.Fprintf(&b, " (%s)", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// Unauthorized reports whether the token was refused: every further request
// would fail the same way.
func (e *APIError) Unauthorized() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// do sends one JSON request and decodes a JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base.JoinPath(path)
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token.Value())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error carries the URL, never the header with the token.
		return fmt.Errorf("%s %s: Grafana at %s unreachable: %w", method, path, c.base.Redacted(), stripURL(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode}
		var msg struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		}
		if json.Unmarshal(raw, &msg) == nil {
			apiErr.Message, apiErr.Status = msg.Message, msg.Status
		} else {
			apiErr.Message = strings.TrimSpace(string(raw[:min(len(raw), 200)]))
		}
		return apiErr
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// stripURL keeps the cause of a transport error without the request URL,
// which may carry basic-auth credentials.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Folder is a Grafana folder.
type Folder struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
}

// EnsureFolder returns the folder titled title, creating it when missing.
func (c *Client) EnsureFolder(ctx context.Context, title string) (Folder, error) {
	f, found, err := c.findFolder(ctx, title)
	if err != nil || found {
		return f, err
	}
	err = c.do(ctx, http.MethodPost, "/api/folders", nil, map[string]string{"title": title}, &f)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusConflict {
		// Created concurrently (or a same-titled folder appeared): use it.
		if f, found, err = c.findFolder(ctx, title); err == nil && !found {
			err = fmt.Errorf("folder %q: Grafana reports a conflict but does not list it", title)
		}
		return f, err
	}
	if err != nil {
		return Folder{}, fmt.Errorf("create folder %q: %w", title, err)
	}
	return f, nil
}

func (c *Client) findFolder(ctx context.Context, title string) (Folder, bool, error) {
	const limit = 1000
	for page := 1; ; page++ {
		var folders []Folder
		q := url.Values{"limit": {fmt.Sprint(limit)}, "page": {fmt.Sprint(page)}}
		if err := c.do(ctx, http.MethodGet, "/api/folders", q, nil, &folders); err != nil {
			return Folder{}, false, fmt.Errorf("list folders: %w", err)
		}
		for _, f := range folders {
			if f.Title == title {
				return f, true, nil
			}
		}
		if len(folders) < limit {
			return Folder{}, false, nil
		}
	}
}

// Import is one dashboard to save.
type Import struct {
	// Dashboard is the dashboard model as JSON (a file of dashboards/).
	Dashboard json.RawMessage
	FolderUID string
	Overwrite bool
	Message   string
}

// Imported is Grafana's answer to a saved dashboard.
type Imported struct {
	UID     string `json:"uid"`
	URL     string `json:"url"`
	Status  string `json:"status"`
	Version int    `json:"version"`
}

// ImportDashboard saves a dashboard with POST /api/dashboards/db. The
// model's numeric id is cleared so Grafana matches the dashboard by uid,
// which is what makes a push repeatable across Grafana instances.
func (c *Client) ImportDashboard(ctx context.Context, in Import) (Imported, error) {
	var model map[string]json.RawMessage
	if err := json.Unmarshal(in.Dashboard, &model); err != nil {
		return Imported{}, fmt.Errorf("dashboard is not a JSON object: %w", err)
	}
	model["id"] = json.RawMessage("null")
	body := struct {
		Dashboard map[string]json.RawMessage `json:"dashboard"`
		FolderUID string                     `json:"folderUid,omitempty"`
		Overwrite bool                       `json:"overwrite"`
		Message   string                     `json:"message,omitempty"`
	}{model, in.FolderUID, in.Overwrite, in.Message}
	var out Imported
	err := c.do(ctx, http.MethodPost, "/api/dashboards/db", nil, body, &out)
	return out, err
}
