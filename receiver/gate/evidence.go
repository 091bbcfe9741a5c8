package gate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/prometheus/alertmanager/pkg/labels"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	engine "github.com/golive-ops/golive/internal/gate"
	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/receiver/store"
)

// ReadinessSource is go-live readiness: the latest stored report
// (receiver/readiness.Gate). Without a report, gates that require one hold.
type ReadinessSource interface {
	LatestReadiness(ctx context.Context) (engine.Readiness, error)
}

// maxFiring bounds how many firing occurrences one evaluation reads.
const maxFiring = 5000

// evidence is one evaluation's view of the receiver's store and
// Prometheus; the firing occurrences are read once and shared by the alert
// and incident selectors.
type evidence struct {
	g         *gateState
	store     store.Store
	prom      *promclient.Client
	readiness ReadinessSource

	once   sync.Once
	firing []store.Occurrence
	err    error
}

func (e *evidence) occurrences(ctx context.Context) ([]store.Occurrence, error) {
	e.once.Do(func() { e.firing, e.err = e.store.FiringOccurrences(ctx, maxFiring) })
	return e.firing, e.err
}

func matchAll(ms []*labels.Matcher, l map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(l[m.Name]) {
			return false
		}
	}
	return true
}

func (e *evidence) FiringAlerts(ctx context.Context) ([]engine.Alert, error) {
	occs, err := e.occurrences(ctx)
	if err != nil {
		return nil, storageReason(err)
	}
	var out []engine.Alert
	for _, o := range occs {
		if matchAll(e.g.alerts, o.Labels) {
			out = append(out, engine.Alert{Fingerprint: o.Fingerprint, AlertName: o.AlertName, Severity: o.Labels["severity"],
				Labels: o.Labels, IncidentID: o.IncidentID})
		}
	}
	return out, nil
}

func (e *evidence) OpenIncidents(ctx context.Context) ([]engine.Incident, error) {
	floor := e.g.cfg.Incidents.AtOrAbove
	var prios []store.Priority
	for _, p := range store.Priorities {
		if !floor.Higher(p) {
			prios = append(prios, p)
		}
	}
	incs, err := e.store.ListIncidents(ctx, store.IncidentFilter{
		States: []store.State{store.StateNew, store.StateAcknowledged, store.StateInProgress}, Priorities: prios})
	if err != nil {
		return nil, storageReason(err)
	}
	byAlert := map[int64]bool{}
	if len(e.g.incidents) > 0 {
		occs, err := e.occurrences(ctx)
		if err != nil {
			return nil, storageReason(err)
		}
		for _, o := range occs {
			if o.IncidentID != 0 && matchAll(e.g.incidents, o.Labels) {
				byAlert[o.IncidentID] = true
			}
		}
	}
	var out []engine.Incident
	for _, inc := range incs {
		if len(e.g.incidents) == 0 || byAlert[inc.ID] || matchAll(e.g.incidents, inc.Labels) {
			out = append(out, engine.Incident{ID: inc.ID, Title: inc.Title, Priority: string(inc.Priority),
				State: string(inc.State), Labels: inc.Labels})
		}
	}
	return out, nil
}

func (e *evidence) Query(ctx context.Context, q string) ([]engine.Sample, error) {
	if e.prom == nil {
		return nil, errors.New("no prometheus section in the receiver config")
	}
	points, _, err := e.prom.Query(ctx, q, time.Time{})
	if err != nil {
		return nil, e.queryReason(err)
	}
	out := make([]engine.Sample, len(points))
	for i, p := range points {
		out[i] = engine.Sample{Labels: p.Labels, Value: p.Value}
	}
	return out, nil
}

func (e *evidence) Readiness(ctx context.Context) (engine.Readiness, error) {
	if e.readiness == nil {
		return engine.Readiness{}, nil
	}
	return e.readiness.LatestReadiness(ctx)
}

// queryReason turns a query error into a short reason for people and for
// Flagger's events: the query itself is in the check already.
func (e *evidence) queryReason(err error) error {
	server := e.prom.Server()
	var apiErr *v1.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &apiErr):
		return fmt.Errorf("Prometheus at %s answered %s: %s", server, apiErr.Type, apiErr.Msg) //nolint:staticcheck // a proper noun
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("Prometheus at %s did not answer in time", server) //nolint:staticcheck // a proper noun
	case errors.As(err, &opErr):
		return fmt.Errorf("Prometheus at %s is not reachable: %w", server, opErr.Err) //nolint:staticcheck // a proper noun
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return fmt.Errorf("Prometheus at %s is not reachable", server) //nolint:staticcheck // a proper noun
	}
	return fmt.Errorf("Prometheus at %s: unusable answer", server) //nolint:staticcheck // a proper noun
}

func storageReason(err error) error {
	if errors.Is(err, store.ErrUnavailable) {
		return errors.New("storage unavailable")
	}
	return errors.New("storage error")
}
