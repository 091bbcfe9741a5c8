// Package dailyreport connects internal/report to the receiver: incident
// sources over the store (in-process) and the HTTP API (the CLI), the
// `golive report` command, and the receiver's daily schedule that mails the
// report once per day through the durable outbox.
package dailyreport

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/receiver/client"
	"github.com/golive-ops/golive/receiver/store"
)

// maxIncidents is the most one read returns (the API's own limit).
const maxIncidents = 5000

// StoreSource reads incidents from the receiver's store.
type StoreSource struct{ Store store.Store }

// Incidents implements report.IncidentSource.
func (s StoreSource) Incidents(ctx context.Context, since, until time.Time) ([]report.Incident, error) {
	incs, err := s.Store.ListIncidents(ctx, store.IncidentFilter{OpenedAfter: since, OpenedBefore: until, Limit: maxIncidents})
	return convert(incs), err
}

// APISource reads incidents through the receiver's HTTP API.
type APISource struct{ Client *client.Client }

// Incidents implements report.IncidentSource.
func (s APISource) Incidents(ctx context.Context, since, until time.Time) ([]report.Incident, error) {
	incs, err := s.Client.List(ctx, store.IncidentFilter{OpenedAfter: since, OpenedBefore: until, Limit: maxIncidents})
	return convert(incs), err
}

// Rollouts are not in the store yet; when their table lands, activity
// lists them next to the remediation runs.

func convert(incs []store.Incident) []report.Incident {
	out := make([]report.Incident, len(incs))
	for i, inc := range incs {
		out[i] = report.Incident{
			ID: inc.ID, Title: inc.Title, Service: inc.Service, Priority: string(inc.Priority), State: string(inc.State),
			OpenedAt: inc.OpenedAt, AcknowledgedAt: inc.AcknowledgedAt, ResolvedAt: inc.ResolvedAt, ClosedAt: inc.ClosedAt,
			ResponseBreachedAt: inc.ResponseBreachedAt, ResolutionBreachedAt: inc.ResolutionBreachedAt,
		}
	}
	return out
}

// maxActivity is how many remediation runs one read returns (the API's
// limit); the newest come first, so a report of today sees all of a busy
// day's but one of a day long past may miss some (it says so).
const maxActivity = 500

// Activity implements report.ActivitySource: the remediation runs that
// finished (or, still going, were planned) during the day.
func (s StoreSource) Activity(ctx context.Context, from, to time.Time) ([]report.Activity, error) {
	rs, err := s.Store.ListRemediations(ctx, store.RemediationFilter{Limit: maxActivity})
	if err != nil {
		return nil, err
	}
	return activity(rs, from, to)
}

func activity(rs []store.Remediation, from, to time.Time) ([]report.Activity, error) {
	var out []report.Activity
	for _, r := range rs {
		at := r.FinishedAt
		if at.IsZero() {
			at = r.CreatedAt
		}
		if at.Before(from) || !at.Before(to) {
			continue
		}
		outcome := string(r.State)
		if r.DryRun {
			outcome += " (dry run)"
		}
		if r.Reason != "" {
			outcome += ": " + r.Reason
		}
		out = append(out, report.Activity{At: at, Kind: "remediation",
			Name: fmt.Sprintf("%s (%s) for incident #%d", r.Action, r.Kind, r.IncidentID), Outcome: outcome})
	}
	if len(rs) == maxActivity && rs[len(rs)-1].CreatedAt.After(from) {
		return out, fmt.Errorf("more than %d remediation runs since %s: only the newest %d are listed", maxActivity, from.Format(time.RFC3339), maxActivity)
	}
	return out, nil
}

// Activity implements report.ActivitySource through the receiver's
// remediation API (GET /api/v1/remediations).
func (s APISource) Activity(ctx context.Context, from, to time.Time) ([]report.Activity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		strings.TrimRight(s.Client.BaseURL, "/")+"/api/v1/remediations?limit="+strconv.Itoa(maxActivity), nil)
	if err != nil {
		return nil, err
	}
	if s.Client.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Client.Token.Value())
	}
	hc := s.Client.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/remediations: receiver answered %s", resp.Status)
	}
	var list struct {
		Remediations []store.Remediation `json:"remediations"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&list); err != nil {
		return nil, fmt.Errorf("decoding the receiver's remediations: %w", err)
	}
	return activity(list.Remediations, from, to)
}
