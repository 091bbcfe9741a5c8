package readiness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golive-ops/golive/internal/httpclient"
)

// Env is what checks run against: the servers of the checklist, with
// their HTTP clients, and a clock.
type Env struct {
	Now    func() time.Time
	Logger *slog.Logger

	prometheus, alertmanager, grafana, receiver *server

	// The receiver's sign-offs and channel tests are read once per run and
	// shared by every manual and channel item.
	signoffsOnce sync.Once
	signoffs     map[string]Signoff
	signoffsErr  error
	channelsOnce sync.Once
	channels     []ChannelTest
	channelsErr  error
}

// NewEnvLike is a fresh Env on e's clients, for another run: the
// receiver's sign-offs and channel tests are read again.
func NewEnvLike(e *Env) *Env {
	return &Env{Now: e.Now, Logger: e.Logger, prometheus: e.prometheus, alertmanager: e.alertmanager, grafana: e.grafana, receiver: e.receiver}
}

// server is one HTTP server the checks ask.
type server struct {
	name string // "Prometheus", "the receiver", ... for messages
	base *url.URL
	hc   *http.Client
}

// NewEnv builds the HTTP clients of c's servers. logger and now may be nil.
func NewEnv(c *Checklist, logger *slog.Logger, now func() time.Time) (*Env, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	e := &Env{Now: now, Logger: logger}
	for _, s := range []struct {
		ep   *Endpoint
		name string
		out  **server
	}{
		{c.Prometheus, "Prometheus", &e.prometheus},
		{c.Alertmanager, "Alertmanager", &e.alertmanager},
		{c.Grafana, "Grafana", &e.grafana},
		{c.Receiver, "the receiver", &e.receiver},
	} {
		if s.ep == nil {
			continue
		}
		srv, err := newServer(s.name, s.ep)
		if err != nil {
			return nil, err
		}
		*s.out = srv
	}
	return e, nil
}

func newServer(name string, ep *Endpoint) (*server, error) {
	u, err := url.Parse(ep.URL)
	if err != nil {
		return nil, fmt.Errorf("%s url: %w", name, err)
	}
	hc, err := httpclient.New(ep.HTTPConfig, "readiness")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &server{name: name, base: u, hc: hc}, nil
}

// NewServerClient is a client for the receiver's readiness API (sign,
// --report-to) outside a checklist run.
func NewServerClient(rawURL string, hc *http.Client) (*ReceiverClient, error) {
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(u)
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &ReceiverClient{s: &server{name: "the receiver", base: base, hc: hc}}, nil
}

// parseHTTPURL accepts an absolute http(s) URL and drops a trailing slash.
func parseHTTPURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%q: want an http:// or https:// URL with a host", u.Redacted())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// maxBody bounds what a check reads from any server.
const maxBody = 32 << 20

// HTTPStatusError is a server's non-2xx answer.
type HTTPStatusError struct {
	Server string
	Status int
	Body   string
}

func (e *HTTPStatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("%s answered %d", e.Server, e.Status)
	}
	return fmt.Sprintf("%s answered %d: %s", e.Server, e.Status, e.Body)
}

// do sends a request and decodes a JSON answer into out (nil: ignore the
// body). Errors say which server and never carry the URL's credentials.
func (s *server) do(ctx context.Context, method, path string, body io.Reader, out any) error {
	u := *s.base
	rel, err := url.Parse(path)
	if err != nil {
		return err
	}
	u.Path = strings.TrimRight(u.Path, "/") + rel.Path
	u.RawQuery = rel.RawQuery
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return s.unreachable(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("reading %s's answer: %w", s.name, err)
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(data))
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return &HTTPStatusError{Server: s.name, Status: resp.StatusCode, Body: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s answered with something other than the expected JSON: %w", s.name, err)
	}
	return nil
}

// unreachable words a transport error without the request URL (which may
// hold credentials).
func (s *server) unreachable(err error) error {
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s at %s did not answer in time", s.name, s.base.Redacted())
	case errors.As(err, &opErr):
		return fmt.Errorf("%s at %s is not reachable: %w", s.name, s.base.Redacted(), opErr.Err)
	}
	var uErr *url.Error
	if errors.As(err, &uErr) {
		err = uErr.Err
	}
	return fmt.Errorf("%s at %s: %w", s.name, s.base.Redacted(), err)
}

// needServer is the error when a kind's server section is missing.
func needServer(section string) error {
	return &Error{Msg: fmt.Sprintf("this kind needs the checklist's %s section (url)", section)}
}
