// Package promclient is the small Prometheus query client golive's jobs share
// (baseline, rollout gates). It wraps client_golang's api/prometheus/v1 with
// what every caller needs anyway: a timeout on each request, range queries
// split under Prometheus's per-query point limit, and errors that say which
// query against which server failed.
package promclient

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// MaxPointsPerSeries is how many steps one range query may return per series:
// Prometheus refuses queries above 11,000 points; we stay below with margin
// and split longer ranges into several requests.
const MaxPointsPerSeries = 10000

// DefaultTimeout bounds one HTTP request when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options configure a Client.
type Options struct {
	// URL is the Prometheus base URL, e.g. http://prometheus:9090 (a path
	// prefix such as /prometheus is kept).
	URL string
	// Timeout bounds each HTTP request; it is also sent to Prometheus as
	// the query evaluation timeout. Zero means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient is used for requests; nil means a client with
	// client_golang's default transport.
	HTTPClient *http.Client
}

// Client runs PromQL queries against one Prometheus server.
type Client struct {
	api     v1.API
	server  string // URL without credentials, for error messages
	timeout time.Duration
}

// Sample is one value of a series at one time.
type Sample struct {
	Time  time.Time
	Value float64
}

// Series is one result series of a range query, samples in time order.
type Series struct {
	Labels  map[string]string
	Samples []Sample
}

// Point is one result of an instant query.
type Point struct {
	Labels map[string]string
	Sample
}

// ErrInvalidURL is returned by New for an unusable Prometheus URL.
var ErrInvalidURL = errors.New("invalid Prometheus URL")

// New validates opts and returns a Client. It does not contact the server.
func New(opts Options) (*Client, error) {
	u, err := ParseURL(opts.URL)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("timeout must be positive, got %s", timeout)
	}
	c, err := api.NewClient(api.Config{Address: u.String(), Client: opts.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", Redact(u), err)
	}
	return &Client{api: v1.NewAPI(c), server: Redact(u), timeout: timeout}, nil
}

// ParseURL checks that raw is an absolute http(s) URL with a host.
func ParseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the raw URL, which may hold a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("%w: %w", ErrInvalidURL, ue.Err)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w %s: scheme must be http or https", ErrInvalidURL, Redact(u))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w %s: no host", ErrInvalidURL, Redact(u))
	}
	return u, nil
}

// Redact returns u as a string with any password replaced, for messages.
func Redact(u *url.URL) string { return u.Redacted() }

// Server returns the Prometheus URL the client talks to, without credentials.
func (c *Client) Server() string { return c.server }

// QueryRange evaluates query at every step from start to end. Ranges longer
// than MaxPointsPerSeries steps are fetched in several requests and merged.
// Warnings from Prometheus are returned alongside the result.
func (c *Client) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Series, []string, error) {
	if step <= 0 {
		return nil, nil, fmt.Errorf("query %q: step must be positive, got %s", query, step)
	}
	if end.Before(start) {
		return nil, nil, fmt.Errorf("query %q: end %s is before start %s", query, end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	merged := map[model.Fingerprint]*Series{}
	var warnings []string
	for _, r := range Chunks(start, end, step, MaxPointsPerSeries) {
		m, w, err := c.rangeOnce(ctx, query, r)
		warnings = append(warnings, w...)
		if err != nil {
			return nil, warnings, err
		}
		for _, ss := range m {
			fp := ss.Metric.Fingerprint()
			s, ok := merged[fp]
			if !ok {
				s = &Series{Labels: labelMap(ss.Metric)}
				merged[fp] = s
			}
			for _, p := range ss.Values {
				s.Samples = append(s.Samples, Sample{Time: p.Timestamp.Time().UTC(), Value: float64(p.Value)})
			}
		}
	}
	return sortedSeries(merged), warnings, nil
}

func (c *Client) rangeOnce(ctx context.Context, query string, r v1.Range) (model.Matrix, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, warnings, err := c.api.QueryRange(ctx, query, r, v1.WithTimeout(c.timeout))
	if err != nil {
		return nil, warnings, c.wrap(query, err)
	}
	m, ok := val.(model.Matrix)
	if !ok {
		return nil, warnings, fmt.Errorf("query %q on %s: range query returned %s, want matrix", query, c.server, val.Type())
	}
	return m, warnings, nil
}

// Query evaluates query at ts (the server's now when ts is zero). A scalar
// result is returned as one point without labels.
func (c *Client) Query(ctx context.Context, query string, ts time.Time) ([]Point, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, warnings, err := c.api.Query(ctx, query, ts, v1.WithTimeout(c.timeout))
	if err != nil {
		return nil, warnings, c.wrap(query, err)
	}
	switch v := val.(type) {
	case model.Vector:
		out := make([]Point, 0, len(v))
		for _, s := range v {
			out = append(out, Point{Labels: labelMap(s.Metric), Sample: Sample{Time: s.Timestamp.Time().UTC(), Value: float64(s.Value)}})
		}
		return out, warnings, nil
	case *model.Scalar:
		return []Point{{Labels: map[string]string{}, Sample: Sample{Time: v.Timestamp.Time().UTC(), Value: float64(v.Value)}}}, warnings, nil
	default:
		return nil, warnings, fmt.Errorf("query %q on %s: instant query returned %s, want vector or scalar", query, c.server, val.Type())
	}
}

// wrap names the query and server; Prometheus's own message (bad_data:
// parse error ...) is kept intact and reachable with errors.As(*v1.Error).
func (c *Client) wrap(query string, err error) error {
	var apiErr *v1.Error
	if errors.As(err, &apiErr) {
		return fmt.Errorf("query %q on %s: %w", query, c.server, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("query %q on %s: no answer within %s: %w", query, c.server, c.timeout, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return fmt.Errorf("query %q: Prometheus at %s unreachable: %w", query, c.server, stripURL(err))
	}
	return fmt.Errorf("query %q on %s: unusable answer: %w", query, c.server, err)
}

// stripURL drops the request URL from transport errors: it repeats the
// server (possibly with a password) and the whole query string.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Chunks splits [start, end] at step into ranges of at most maxPoints
// evaluation points each, aligned so that together they evaluate exactly the
// points start, start+step, ... <= end.
func Chunks(start, end time.Time, step time.Duration, maxPoints int) []v1.Range {
	if maxPoints < 1 {
		maxPoints = 1
	}
	total := int(end.Sub(start)/step) + 1
	out := make([]v1.Range, 0, int(math.Ceil(float64(total)/float64(maxPoints))))
	for first := 0; first < total; first += maxPoints {
		last := min(first+maxPoints, total) - 1
		out = append(out, v1.Range{
			Start: start.Add(time.Duration(first) * step),
			End:   start.Add(time.Duration(last) * step),
			Step:  step,
		})
	}
	return out
}

func labelMap(m model.Metric) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

func sortedSeries(byFP map[model.Fingerprint]*Series) []Series {
	out := make([]Series, 0, len(byFP))
	for _, s := range byFP {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// String renders the labels the way PromQL shows them: {a="1", b="2"}.
func (s Series) String() string {
	m := make(model.Metric, len(s.Labels))
	for k, v := range s.Labels {
		m[model.LabelName(k)] = model.LabelValue(v)
	}
	return m.String()
}
