// Package ingest is the HTTP endpoint Alertmanager posts to. It answers
// 200 only after the payload and its occurrences are committed, 4xx for
// input that can never succeed (Alertmanager does not retry those) and 503
// when storage fails (it retries), never 429.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/incident"
	"github.com/golive-ops/golive/receiver/metrics"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/webhook"
)

// Ingester stores a validated webhook (incident.Engine).
type Ingester interface {
	Ingest(ctx context.Context, msg *webhook.Message, raw []byte) (incident.Result, error)
}

// Handler serves the webhook endpoint.
type Handler struct {
	Ingester     Ingester
	Auth         *auth.Authenticator
	Limits       webhook.Limits
	MaxBodyBytes int64
	// Timeout bounds the wait for InFlight and the storage work of one
	// request together (default 5s), so a hung database or a queue of large
	// webhooks answers 503 while Alertmanager still waits.
	Timeout time.Duration
	// InFlight bounds the bytes of webhook bodies being read, decoded and
	// stored at once (nil: unbounded); see NewInFlight.
	InFlight *InFlight
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	Now      func() time.Time
}

// Response is the JSON body of a 200.
type Response struct {
	Status     string `json:"status"`
	WebhookID  int64  `json:"webhookId"`
	Alerts     int    `json:"alerts"`
	New        int    `json:"new"`
	Resolved   int    `json:"resolved"`
	Duplicates int    `json:"duplicates"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	result, code, msg := h.serve(w, r)
	h.Metrics.WebhooksReceived.WithLabelValues(result).Inc()
	if code != http.StatusOK {
		if code >= 500 {
			h.Logger.Error("webhook not stored; Alertmanager will retry", "status", code, "err", msg)
		} else {
			h.Logger.Warn("webhook rejected", "status", code, "reason", msg, "remote", r.RemoteAddr)
		}
		http.Error(w, fmt.Sprintf("%d %s: %s", code, http.StatusText(code), msg), code)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (result string, code int, msg string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return metrics.ResultBadRequest, http.StatusMethodNotAllowed, "use POST"
	}
	if h.Auth != nil && !h.Auth.Allowed(r) {
		return metrics.ResultUnauthorized, http.StatusUnauthorized, "missing or invalid credentials"
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return metrics.ResultMediaType, http.StatusUnsupportedMediaType, "Content-Type must be application/json"
	}
	if r.ContentLength > h.MaxBodyBytes {
		return metrics.ResultTooLarge, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.MaxBodyBytes)
	}
	// One deadline for the wait below and the storage work: a webhook is
	// answered within Timeout (plus reading its body, plus PerAlert for
	// each of its alerts) however it is held up.
	arrived := time.Now()
	wait, cancelWait := context.WithTimeout(r.Context(), h.timeout())
	defer cancelWait()
	release, err := h.InFlight.acquire(wait, h.weight(r))
	if err != nil {
		// 503, never 429: Alertmanager retries 5xx and drops 4xx.
		return metrics.ResultUnavailable, http.StatusServiceUnavailable, err.Error()
	}
	defer release()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return metrics.ResultTooLarge, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.MaxBodyBytes)
	case err != nil:
		return metrics.ResultBadRequest, http.StatusBadRequest, "reading body: " + err.Error()
	}
	start := h.Now()
	m, err := webhook.Decode(body, start, h.Limits)
	if err != nil {
		return metrics.ResultBadRequest, http.StatusBadRequest, err.Error()
	}
	// A large webhook is many statements (a few per group), none of them
	// slow; a hung store still fails its first within the store's bound.
	budget := h.timeout() + time.Duration(len(m.Alerts))*PerAlert
	ctx, cancel := context.WithDeadline(r.Context(), arrived.Add(budget))
	defer cancel()
	return h.store(store.WithTimeout(ctx, time.Until(arrived.Add(budget))), w, m, body, start)
}

// PerAlert is the time a webhook gets per alert on top of Timeout, so a
// 20,000-alert webhook has 45 s by default: Alertmanager waits
// max(group_interval, 10s) for a notification, and one that can never
// finish in time would be retried forever. Ten alerts add 20 ms.
const PerAlert = 2 * time.Millisecond

// weight is what a request may cost: its declared length, or the most a
// body may be when it declares none (chunked).
func (h *Handler) weight(r *http.Request) int64 {
	if r.ContentLength > 0 {
		return r.ContentLength
	}
	return h.MaxBodyBytes
}

func (h *Handler) timeout() time.Duration {
	if h.Timeout <= 0 {
		return 5 * time.Second
	}
	return h.Timeout
}

func (h *Handler) store(ctx context.Context, w http.ResponseWriter, m *webhook.Message, body []byte, start time.Time) (string, int, string) {
	res, err := h.Ingester.Ingest(ctx, m, body)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
			return metrics.ResultUnavailable, http.StatusServiceUnavailable, "storage unavailable, retry later: " + err.Error()
		}
		return metrics.ResultError, http.StatusInternalServerError, err.Error()
	}
	h.Metrics.IngestDuration.Observe(h.Now().Sub(start).Seconds())
	h.Metrics.DuplicateOccurrences.Add(float64(res.Duplicates))
	if m.TruncatedAlerts > 0 {
		h.Logger.Warn("Alertmanager truncated this notification (max_alerts); the missing alerts arrive in later ones",
			"groupKey", m.GroupKey, "truncated", m.TruncatedAlerts)
	}
	h.Logger.Debug("webhook stored", "groupKey", m.GroupKey, "alerts", res.Alerts, "new", res.New,
		"resolved", res.Resolved, "duplicates", res.Duplicates, "changes", len(res.Changes), "repeat", m.Repeat())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Response{Status: "ok", WebhookID: res.WebhookID, Alerts: res.Alerts, New: res.New,
		Resolved: res.Resolved, Duplicates: res.Duplicates})
	return metrics.ResultOK, http.StatusOK, ""
}
