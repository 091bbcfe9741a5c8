// Package dailyreport connects internal/report to the receiver: incident
// sources over the store (in-process) and the HTTP API (the CLI), the
// `golive report` command, and the receiver's daily schedule that mails the
// report once per day through the durable outbox.
package dailyreport

import (
	"context"
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

// Rollouts and remediation runs are not in the store yet; when their
// tables land, StoreSource implements report.ActivitySource and the report
// shows them.

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
