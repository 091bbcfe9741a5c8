// Package notify delivers incident notifications to people: Slack incoming
// webhooks, email over SMTP, and generic webhooks (SMS gateways, chat tools).
//
// A Sender makes one delivery attempt and decides whether a failure is worth
// retrying; the outbox worker owns retries, backoff and durability.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Message is one notification about one incident.
type Message struct {
	// Key identifies this notification across retries (the outbox row), so
	// receivers that support it can deduplicate.
	Key        string            `json:"key"`
	Event      string            `json:"event"` // opened, escalated, resolved, reopened, sla_breach, test
	IncidentID string            `json:"incident_id"`
	Priority   string            `json:"priority"` // P0..P3
	State      string            `json:"state"`
	Title      string            `json:"title"`
	Summary    string            `json:"summary,omitempty"`
	Service    string            `json:"service,omitempty"`
	Assignee   string            `json:"assignee,omitempty"`
	URL        string            `json:"url,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	StartedAt  time.Time         `json:"started_at"`
}

// Sender makes one delivery attempt. When err is not nil, retry says whether
// another attempt may succeed (a 5xx, a timeout) or not (a 4xx, a rejected
// recipient). A Sender must honour ctx and never log secrets.
type Sender interface {
	Send(ctx context.Context, m Message) (retry bool, err error)
}

// Channel is a named, configured Sender.
type Channel struct {
	Name   string
	Kind   string // slack, email, webhook
	Sender Sender
}

// retryableStatus is the one place that maps HTTP status codes to retry
// decisions: rate limits, timeouts and server errors are transient; other
// 4xx mean the request itself is wrong and repeating it cannot help.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// retryableErr classifies transport errors: network trouble is transient,
// a cancelled context (shutdown) is retried later by the outbox too.
func retryableErr(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	case errors.As(err, &ne):
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// StatusError is a non-2xx answer from an HTTP endpoint. Body is a short,
// trimmed excerpt for diagnosis; endpoints do not echo our secrets.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("unexpected status %d", e.Code)
	}
	return fmt.Sprintf("unexpected status %d: %s", e.Code, e.Body)
}
