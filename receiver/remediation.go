package receiver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/client"
	"github.com/golive-ops/golive/receiver/incident"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/store"
)

// ChangeRemediation is the change kind of "a person is needed"
// notifications from remediation.
const ChangeRemediation incident.ChangeKind = "remediation"

// EventRemediationEscalated is the timeline entry of such a notification.
const EventRemediationEscalated store.EventKind = "remediation_escalated"

// remediationStage offers the changes remediation acts on (opened,
// escalated, reopened) to the planner; other changes (resolved, a
// person's acknowledgement, SLA breaches) never trigger an action.
func remediationStage(e *remediate.Engine, externalURL string) incident.Stage {
	return incident.StageFunc(func(ctx context.Context, tx store.Tx, changes []incident.Change) error {
		var planned []remediate.Planned
		for _, c := range changes {
			if !slices.Contains(remediate.Changes, string(c.Kind)) {
				continue
			}
			inc := c.Incident
			planned = append(planned, remediate.Planned{Key: c.Key, At: c.At, Trigger: action.Trigger{
				IncidentID: inc.ID, Cycle: inc.Cycle, Change: string(c.Kind), Priority: string(inc.Priority),
				Title: inc.Title, Service: inc.Service, URL: incidentURL(externalURL, inc.ID), Labels: triggerLabels(c)}})
		}
		if len(planned) == 0 {
			return nil
		}
		return e.Plan(ctx, tx, planned)
	})
}

// triggerLabels are the labels of the firing occurrence that caused the
// change (the grading one first) under the incident's group labels.
func triggerLabels(c incident.Change) map[string]string {
	out := map[string]string{}
	for _, o := range c.Occurrences {
		if o.Firing() && (len(out) == 0 || o.Fingerprint == c.Incident.GradeReason.Fingerprint) {
			out = maps.Clone(o.Labels)
		}
	}
	maps.Copy(out, c.Incident.Labels)
	return out
}

func incidentURL(base string, id int64) string {
	if base == "" {
		return ""
	}
	return fmt.Sprintf("%s/ui/incidents/%d", base, id)
}

// escalator notifies people that remediation needs them, through the
// notification stage, and says so in the timeline.
type escalator struct {
	notifier incident.OutboxNotifier
	kick     func()
	now      func() time.Time
}

func newEscalator(n incident.OutboxNotifier, channels []string, route func(incident.Change) []string, kick func(),
	now func() time.Time) escalator {
	n.Route = route
	if len(channels) > 0 {
		n.Route = func(incident.Change) []string { return channels }
	}
	return escalator{notifier: n, kick: kick, now: now}
}

func (e escalator) Escalate(ctx context.Context, tx store.Tx, incidentID int64, key, reason string) error {
	inc, err := tx.IncidentForUpdate(ctx, incidentID)
	if err != nil {
		return err
	}
	now := e.now()
	c := incident.Change{Kind: ChangeRemediation, Incident: inc, At: now, Actor: store.SystemActor, Key: key, Note: reason}
	channels := e.notifier.Route(c)
	err = tx.AppendEvents(ctx, []store.Event{{IncidentID: inc.ID, At: now, Kind: EventRemediationEscalated,
		Actor: store.SystemActor, Note: reason, Data: map[string]any{"channels": channels, "key": key}}})
	if err != nil {
		return err
	}
	if err := e.notifier.Run(ctx, tx, []incident.Change{c}); err != nil {
		return err
	}
	e.kick()
	return nil
}

// RemediationCommand runs `golive remediation`, a client of the
// receiver's remediation API.
func RemediationCommand(ctx context.Context, env cli.Env) int {
	return client.RemediationCommand(ctx, env)
}
