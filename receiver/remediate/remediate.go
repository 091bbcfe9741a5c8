// Package remediate is the receiver's automatic response (runbook R5.5):
// a policy (remediation.actions[] in receiver.yml) of actions, each of one
// kind, planned once per incident change inside the ingest transaction and
// run by the durable job worker.
//
// Lifecycle of one remediation row (store.Remediation):
//
//	planned ─▶ running ─▶ succeeded | failed (escalated)
//	   ▲          └─(crash, non-idempotent)─▶ unknown (escalated)
//	awaiting_approval ─▶ planned | rejected | expired
//	dry_run, refused, skipped (paused, cooldown, budget, rate limit): final at plan time
//
// Guarantees: a change is planned once (the row's key is the change key
// and the action name, unique across replicas; replays, HA copies and
// repeat notifications make no change and never reach the planner);
// budgets, cooldowns, the rate limit and the kill switch are checked
// against rows in the planning transaction, which locks the kill-switch
// row so replicas plan one at a time; an attempt is recorded as running
// before it starts, so after a crash a non-idempotent action is never run
// again automatically: its row becomes unknown and a person is asked.
//
// # Adding a kind
//
// A kind is a package under receiver/remediate with a Config (YAML
// fields), Validate(field string) error that names fields, and a
// constructor returning an action.Action (Plan renders without I/O, Run
// makes one attempt and says whether a failure is worth retrying,
// Idempotent says whether a repeat is harmless). Then add one field to
// KindSettings and one line to the kinds table in kinds.go. Label values
// reach a request only through action.Substitutions (allow-listed); only
// the exec kind's package may import os/exec (depguard).
package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/probemodule"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/store"
)

// Escalator asks a person: a notification and a timeline entry, written
// in tx. key makes the escalation happen once.
type Escalator interface {
	Escalate(ctx context.Context, tx store.Tx, incidentID int64, key, reason string) error
}

// Options build an Engine.
type Options struct {
	Store     store.Store
	Escalator Escalator // nil: escalations are only in the timeline
	Metrics   *Metrics  // nil: not counted
	Logger    *slog.Logger
	Now       func() time.Time
	// Client runs post-checks (nil: a client with no redirects).
	Client *http.Client
	// Kick wakes the remediation worker after work was enqueued.
	Kick func()
}

type compiled struct {
	cfg ActionConfig
	act action.Action
}

// Engine plans, runs and decides remediations.
type Engine struct {
	cfg     Config
	modules probemodule.Set // of verify.probe
	actions map[string]*compiled
	order   []string
	o       Options
}

// New builds every action (reading credential files); cfg must be valid.
func New(cfg Config, o Options) (*Engine, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	modules, err := cfg.ProbeModules()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, modules: modules, actions: map[string]*compiled{}, o: o}
	for i := range cfg.Actions {
		a := cfg.Actions[i]
		act, err := buildAction(&a)
		if err != nil {
			return nil, fmt.Errorf("remediation.actions[%d] (%s): %w", i, a.Name, err)
		}
		e.actions[a.Name] = &compiled{cfg: a, act: act}
		e.order = append(e.order, a.Name)
	}
	return e, nil
}

// Timeline event kinds.
const (
	EventPlanned          store.EventKind = "remediation_planned"
	EventDryRun           store.EventKind = "remediation_dry_run"
	EventAwaitingApproval store.EventKind = "remediation_awaiting_approval"
	EventRefused          store.EventKind = "remediation_refused"
	EventSkipped          store.EventKind = "remediation_skipped"
	EventStarted          store.EventKind = "remediation_started"
	EventSucceeded        store.EventKind = "remediation_succeeded"
	EventFailed           store.EventKind = "remediation_failed"
	EventUnknown          store.EventKind = "remediation_unknown"
	EventApproved         store.EventKind = "remediation_approved"
	EventRejected         store.EventKind = "remediation_rejected"
	EventExpired          store.EventKind = "remediation_expired"
)

// Planned is one incident change offered to the planner.
type Planned struct {
	Trigger action.Trigger
	// Key identifies the change across replicas (incident.Change.Key).
	Key string
	At  time.Time
}

// Plan is the planner stage: every action whose `when` selects the change
// gets one row, in tx. It does no I/O.
func (e *Engine) Plan(ctx context.Context, tx store.Tx, changes []Planned) error {
	var ctl *store.RemediationControl
	enqueued := false
	for _, p := range changes {
		for _, name := range e.order {
			c := e.actions[name]
			if !c.cfg.When.Matches(p.Trigger.Priority, p.Trigger.Change, p.Trigger.Labels) {
				continue
			}
			if ctl == nil {
				got, err := tx.LockControl(ctx)
				if err != nil {
					return err
				}
				ctl = &got
			}
			queued, err := e.planOne(ctx, tx, *ctl, c, p)
			if err != nil {
				return err
			}
			enqueued = enqueued || queued
		}
	}
	if enqueued {
		e.o.Kick()
	}
	return nil
}

func (e *Engine) planOne(ctx context.Context, tx store.Tx, ctl store.RemediationControl, c *compiled, p Planned) (bool, error) {
	t, now := p.Trigger, p.At
	r := store.Remediation{Key: p.Key + "/remediation/" + c.cfg.Name, IncidentID: t.IncidentID, Cycle: t.Cycle,
		Action: c.cfg.Name, Kind: c.cfg.Kind, Target: target(c.cfg.Target, t), Trigger: t.Change,
		DryRun: e.cfg.DryRun || c.cfg.DryRun, Idempotent: c.act.Idempotent(), CreatedAt: now, UpdatedAt: now}
	req, planErr := c.act.Plan(t)
	r.Request = mustJSON(req)
	escalate := ""
	switch {
	case planErr != nil:
		r.State, r.Reason = store.RemediationRefused, planErr.Error()
	case ctl.Paused:
		r.State, r.Reason = store.RemediationSkipped, pausedReason(ctl)
	default:
		reason, exhausted, err := e.guardrails(ctx, tx, c, r, now)
		if err != nil {
			return false, err
		}
		switch {
		case reason != "":
			r.State, r.Reason = store.RemediationSkipped, reason
			if exhausted {
				escalate = reason
			}
		case r.DryRun:
			r.State = store.RemediationDryRun
		case c.cfg.Approval == "required":
			r.State, r.ExpiresAt = store.RemediationAwaitingApproval, now.Add(e.cfg.approvalExpiry())
			escalate = fmt.Sprintf("remediation %s awaits approval until %s", c.cfg.Name, r.ExpiresAt.UTC().Format(time.RFC3339))
		default:
			r.State = store.RemediationPlanned
		}
	}
	if r.State.Final() {
		r.FinishedAt = now
	}
	inserted, err := tx.InsertRemediation(ctx, &r)
	if err != nil || !inserted {
		return false, err // !inserted: a replica or a replay planned it already
	}
	note := r.Reason
	if note == "" {
		note = "would run: " + req.Summary()
		if r.State == store.RemediationPlanned {
			note = "will run: " + req.Summary()
		}
	}
	if err := e.event(ctx, tx, r, planEvents[r.State], note, now); err != nil {
		return false, err
	}
	e.o.Metrics.planned(r)
	if escalate != "" {
		if r.State == store.RemediationSkipped {
			e.o.Metrics.exhausted(r.Action)
		}
		if err := e.escalate(ctx, tx, r, "plan", escalate); err != nil {
			return false, err
		}
	}
	if r.State != store.RemediationPlanned {
		return false, nil
	}
	return true, e.enqueue(ctx, tx, r, now)
}

var planEvents = map[store.RemediationState]store.EventKind{
	store.RemediationPlanned: EventPlanned, store.RemediationDryRun: EventDryRun,
	store.RemediationAwaitingApproval: EventAwaitingApproval, store.RemediationRefused: EventRefused,
	store.RemediationSkipped: EventSkipped,
}

// guardrails checks, in order, the cooldown (dry runs count), the budgets
// per incident cycle and per target, and the global rate limit. It
// returns why the action must not run now ("" if it may) and whether that
// is an exhausted budget a person must hear about (a cooldown is not).
func (e *Engine) guardrails(ctx context.Context, tx store.Tx, c *compiled, r store.Remediation, now time.Time) (string, bool, error) {
	count := func(q store.RemediationCount) (int, error) { return tx.CountRemediations(ctx, q) }
	if cd := time.Duration(c.cfg.Cooldown); cd > 0 {
		n, err := count(store.RemediationCount{Action: r.Action, Target: r.Target, Since: now.Add(-cd)})
		if err != nil || n > 0 {
			return fmt.Sprintf("cooldown: %s ran or was planned for %s less than %s ago", r.Action, r.Target, cd), false, err
		}
	}
	if r.DryRun {
		return "", false, nil // a dry run runs nothing: budgets are for runs
	}
	b := c.cfg.MaxAttempts
	if b.PerIncident > 0 {
		n, err := count(store.RemediationCount{Action: r.Action, IncidentID: r.IncidentID, Cycle: r.Cycle, Executed: true})
		if err != nil || n >= b.PerIncident {
			return fmt.Sprintf("budget exhausted: %s ran %d of %d times for this incident; a person must take over", r.Action, n, b.PerIncident), true, err
		}
	}
	if b.PerTarget > 0 {
		n, err := count(store.RemediationCount{Action: r.Action, Target: r.Target, Since: now.Add(-b.window()), Executed: true})
		if err != nil || n >= b.PerTarget {
			return fmt.Sprintf("budget exhausted: %s ran %d of %d times for %s in %s; a person must take over", r.Action, n, b.PerTarget, r.Target, b.window()), true, err
		}
	}
	limit, per := e.cfg.rateLimit()
	n, err := count(store.RemediationCount{Since: now.Add(-per), Executed: true})
	if err != nil || n >= limit {
		return fmt.Sprintf("rate limit: %d remediations ran in the last %s (limit %d)", n, per, limit), true, err
	}
	return "", false, nil
}

func pausedReason(ctl store.RemediationControl) string {
	s := "remediation is paused"
	if ctl.Actor != "" {
		s += " by " + ctl.Actor
	}
	if ctl.Note != "" {
		s += ": " + ctl.Note
	}
	return s
}

// target is the first label of spec ("a|b") the trigger has, else the
// incident: budgets per target then count per incident.
func target(spec string, t action.Trigger) string {
	if spec == "" {
		spec = "service|instance"
	}
	for _, l := range strings.Split(spec, "|") {
		if v := t.Labels[l]; v != "" {
			return l + "=" + v
		}
	}
	return fmt.Sprintf("incident=%d", t.IncidentID)
}

func (e *Engine) enqueue(ctx context.Context, tx store.Tx, r store.Remediation, now time.Time) error {
	payload := mustJSON(jobPayload{ID: r.ID})
	// One incident's remediations run one at a time, in plan order.
	_, err := tx.Enqueue(ctx, []store.OutboxItem{{Key: fmt.Sprintf("remediation/%d/%d", r.ID, r.Attempts), Queue: store.QueueRemediate,
		Channel: r.Kind, Kind: r.Action, IncidentID: r.IncidentID, Payload: payload, CreatedAt: now, NotBefore: now,
		OrderingKey: fmt.Sprintf("remediation/incident/%d", r.IncidentID)}})
	return err
}

type jobPayload struct {
	ID int64 `json:"remediation"`
}

func (e *Engine) event(ctx context.Context, tx store.Tx, r store.Remediation, kind store.EventKind, note string, now time.Time) error {
	return tx.AppendEvents(ctx, []store.Event{{IncidentID: r.IncidentID, At: now, Kind: kind, Actor: actorOf(r),
		Note: note, Data: eventData(r)}})
}

func actorOf(r store.Remediation) string {
	if r.DecidedBy != "" && (r.State == store.RemediationRejected || r.State == store.RemediationPlanned) {
		return r.DecidedBy
	}
	return store.SystemActor
}

// eventData is what the timeline shows of a row: the request as stored
// (it holds no secret), the result, and why.
func eventData(r store.Remediation) map[string]any {
	d := map[string]any{"remediation": r.ID, "action": r.Action, "kind": r.Kind, "state": string(r.State),
		"target": r.Target, "trigger": r.Trigger, "dryRun": r.DryRun, "attempt": r.Attempts}
	var req any
	if json.Unmarshal(r.Request, &req) == nil {
		d["request"] = req
	}
	if len(r.Result) > 0 {
		var res any
		if json.Unmarshal(r.Result, &res) == nil {
			d["result"] = res
		}
	}
	return d
}

func (e *Engine) escalate(ctx context.Context, tx store.Tx, r store.Remediation, step, reason string) error {
	if e.o.Escalator == nil {
		return nil
	}
	key := fmt.Sprintf("%s/escalate/%s/%d", r.Key, step, r.Attempts)
	return e.o.Escalator.Escalate(ctx, tx, r.IncidentID, key, reason)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("remediate: encoding %T: %v", v, err)) // plain structs and maps of strings
	}
	return b
}

// Errors of the decision API.
var (
	// ErrConflict: the remediation is not in a state that allows the
	// request (already decided, expired, preconditions no longer hold).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request can never succeed as sent.
	ErrInvalid = errors.New("invalid request")
)
