package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/oncall"
	"github.com/golive-ops/golive/receiver/store"
)

// OnCall answers who is on call at t for an incident of grade p; the
// answer becomes the incident's Assignee. It is called inside the ingest
// transaction, so it must answer from memory (no network).
type OnCall interface {
	Who(ctx context.Context, t time.Time, p store.Priority) (string, error)
}

// ChangeKind is what happened to an incident.
type ChangeKind string

// Change kinds passed to the stages. Their names match the event names
// of the notification messages.
const (
	ChangeOpened       ChangeKind = "opened"
	ChangeReopened     ChangeKind = "reopened"
	ChangeEscalated    ChangeKind = "escalated" // priority raised
	ChangeLowered      ChangeKind = "lowered"   // priority lowered by a person
	ChangeResolved     ChangeKind = "resolved"
	ChangeAcknowledged ChangeKind = "acknowledged"
	ChangeInProgress   ChangeKind = "in_progress"
	ChangeClosed       ChangeKind = "closed"
	ChangeSLABreach    ChangeKind = "sla_breach"
)

// Change is one incident change, with the incident as it is after the
// whole transaction.
type Change struct {
	Kind     ChangeKind
	Incident store.Incident
	At       time.Time
	Actor    string
	// Previous is the priority before an escalation or lowering.
	Previous store.Priority
	// Breach is "response" or "resolution" for ChangeSLABreach.
	Breach string
	// Occurrences that caused the change (ingest only).
	Occurrences []store.Occurrence
	// Key identifies the change across replicas and retries; outbox keys
	// are built from it, so the same change is never enqueued twice.
	Key string
	// Note replaces the notification summary (a remediation escalation
	// says what a person must do).
	Note string
}

func changeKey(inc store.Incident, kind ChangeKind, detail string) string {
	k := fmt.Sprintf("incident/%d/cycle/%d/%s", inc.ID, inc.Cycle, kind)
	if detail != "" {
		k += "/" + detail
	}
	return k
}

// OutboxNotifier is the notification stage: one outbox item per change
// and channel. One incident's items to one channel share an ordering key,
// so the job worker delivers them in order ("resolved" never overtakes
// "opened").
type OutboxNotifier struct {
	// Route returns the channels a change goes to (none: not notified).
	Route func(Change) []string
	// ExternalURL prefixes incident links.
	ExternalURL string
}

// Run implements Stage.
func (n OutboxNotifier) Run(ctx context.Context, tx store.Tx, changes []Change) error {
	var items []store.OutboxItem
	for _, c := range changes {
		if n.Route == nil {
			break
		}
		for _, ch := range n.Route(c) {
			key := c.Key + "/" + ch
			payload, err := json.Marshal(n.payload(c, key))
			if err != nil {
				return fmt.Errorf("notification payload: %w", err)
			}
			items = append(items, store.OutboxItem{Key: key, Channel: ch, Kind: string(c.Kind), IncidentID: c.Incident.ID,
				Payload: payload, CreatedAt: c.At, NotBefore: c.At, Queue: store.QueueNotify,
				OrderingKey: fmt.Sprintf("incident/%d/%s", c.Incident.ID, ch)})
		}
	}
	if len(items) == 0 {
		return nil
	}
	_, err := tx.Enqueue(ctx, items)
	return err
}

func (n OutboxNotifier) payload(c Change, key string) notify.Message {
	inc := c.Incident
	summary := fmt.Sprintf("%s %s: %s (rule %s)", inc.Priority, c.Kind, inc.Title, inc.GradeReason.Rule)
	if c.Kind == ChangeSLABreach {
		summary = fmt.Sprintf("%s %s deadline missed: %s", inc.Priority, c.Breach, inc.Title)
	}
	if c.Note != "" {
		summary = fmt.Sprintf("%s %s: %s: %s", inc.Priority, c.Kind, inc.Title, c.Note)
	}
	url := ""
	if n.ExternalURL != "" {
		url = fmt.Sprintf("%s/ui/incidents/%d", n.ExternalURL, inc.ID)
	}
	return notify.Message{Key: key, Event: string(c.Kind), IncidentID: fmt.Sprint(inc.ID), Priority: string(inc.Priority),
		State: string(inc.State), Title: inc.Title, Summary: summary, Service: inc.Service, Assignee: inc.Assignee,
		URL: url, Labels: inc.Labels, StartedAt: inc.OpenedAt}
}

// ScheduleOnCall answers from an on-call schedule, the same for every grade.
type ScheduleOnCall struct {
	schedule *oncall.Schedule
}

// NewScheduleOnCall compiles the oncall config: its schedule if it has one,
// else the runbook's day and night shifts (R5.4).
func NewScheduleOnCall(c config.OnCall) (*ScheduleOnCall, error) {
	if c.Schedule != nil {
		return &ScheduleOnCall{schedule: c.Schedule}, nil
	}
	start, err := config.ParseClock(c.DayStart)
	if err != nil {
		return nil, fmt.Errorf("oncall.day_start: %w", err)
	}
	end, err := config.ParseClock(c.DayEnd)
	if err != nil {
		return nil, fmt.Errorf("oncall.day_end: %w", err)
	}
	s, err := oncall.TwoShifts(c.TimeZone, oncall.ClockTime(start), oncall.ClockTime(end), []string{c.Day}, []string{c.Night})
	if err != nil {
		return nil, fmt.Errorf("oncall: %w", err)
	}
	return &ScheduleOnCall{schedule: s}, nil
}

// Schedules are the schedules it answers from (the console's on-call page).
func (s *ScheduleOnCall) Schedules() []*oncall.Schedule { return []*oncall.Schedule{s.schedule} }

// Who implements OnCall.
func (s *ScheduleOnCall) Who(_ context.Context, t time.Time, _ store.Priority) (string, error) {
	a, err := s.schedule.Who(t)
	if err != nil {
		return "", err
	}
	return a.Person, nil
}
