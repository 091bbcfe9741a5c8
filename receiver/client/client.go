// Package client talks to a receiver's incidents API; `golive incidents`
// is built on it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/store"
)

// Client calls one receiver.
type Client struct {
	BaseURL string
	Token   secret.Secret
	HTTP    *http.Client // nil: a client with a 30s timeout
}

// Error is a non-2xx answer.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("receiver answered %d: %s", e.Status, e.Message) }

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	contentType := "application/json"
	if raw, ok := body.(rawBody); ok {
		rd, contentType = bytes.NewReader(raw.data), raw.contentType
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("--receiver.url: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token.Value())
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e api.ErrorResponse
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return &Error{Status: resp.StatusCode, Message: e.Error}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the receiver's answer: %w", err)
	}
	return nil
}

// List returns incidents matching f.
func (c *Client) List(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error) {
	q := url.Values{}
	for _, s := range f.States {
		q.Add("state", string(s))
	}
	for _, p := range f.Priorities {
		q.Add("priority", string(p))
	}
	if f.Service != "" {
		q.Set("service", f.Service)
	}
	if !f.OpenedAfter.IsZero() {
		q.Set("from", f.OpenedAfter.Format(time.RFC3339))
	}
	if !f.OpenedBefore.IsZero() {
		q.Set("to", f.OpenedBefore.Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out api.ListResponse
	err := c.do(ctx, http.MethodGet, "/api/v1/incidents?"+q.Encode(), nil, &out)
	return out.Incidents, err
}

// Get returns one incident with its timeline.
func (c *Client) Get(ctx context.Context, id int64) (api.Detail, error) {
	var d api.Detail
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/incidents/%d", id), nil, &d)
	return d, err
}

// Transition moves an incident to state.
func (c *Client) Transition(ctx context.Context, id int64, state store.State, actor, note string) (api.Detail, error) {
	var d api.Detail
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/incidents/%d/transition", id),
		api.ActionRequest{State: state, Actor: actor, Note: note}, &d)
	return d, err
}

// IsConflict reports whether err is a 409 (a transition the lifecycle refuses).
func IsConflict(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusConflict
}

// Note appends a note to an incident's timeline.
func (c *Client) Note(ctx context.Context, id int64, actor, note string) (api.Detail, error) {
	var d api.Detail
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/incidents/%d/notes", id),
		api.ActionRequest{Actor: actor, Note: note}, &d)
	return d, err
}

// SetPriority regrades an open incident.
func (c *Client) SetPriority(ctx context.Context, id int64, p store.Priority, actor, note string) (api.Detail, error) {
	var d api.Detail
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/incidents/%d/priority", id),
		api.ActionRequest{Priority: p, Actor: actor, Note: note}, &d)
	return d, err
}

// Assign hands an open incident to assignee ("" unassigns).
func (c *Client) Assign(ctx context.Context, id int64, assignee, actor, note string) (api.Detail, error) {
	var d api.Detail
	err := c.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/incidents/%d/assign", id),
		api.ActionRequest{Assignee: &assignee, Actor: actor, Note: note}, &d)
	return d, err
}
