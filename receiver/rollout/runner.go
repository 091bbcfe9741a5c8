// Package rollout runs `golive rollout` plans inside the receiver, durably:
// every step is recorded in the store before it is acted on, one replica at
// a time drives a rollout under a lease, and a receiver killed mid-stage
// (or a replica taking over) continues from the record — the stage it was
// in, the observation window measured from the recorded stage start —
// without applying a stage twice or skipping a window.
//
// The plan and the traffic drivers are internal/rollout's; the decisions
// are the receiver's gates (receiver/gate), asked in-process.
package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golive-ops/golive/internal/gate"
	plans "github.com/golive-ops/golive/internal/rollout"
	gates "github.com/golive-ops/golive/receiver/gate"
	"github.com/golive-ops/golive/receiver/notify"
	"github.com/golive-ops/golive/receiver/store"
)

// Gates is what the runner asks: the receiver's gate service.
type Gates interface {
	Evaluate(ctx context.Context, name string) (gates.Decision, error)
	// EvaluateWith replaces some checks' thresholds (a user batch's own).
	EvaluateWith(ctx context.Context, name string, thresholds map[string]float64) (gates.Decision, error)
	Names() []string
	CheckNames(name string) []string
}

// IncidentOpener opens the P1 incident of a rollback that failed. It must
// be idempotent for one rollout: a runner that crashed after opening it
// opens it again on restart.
type IncidentOpener func(ctx context.Context, r store.Rollout, reason string) error

// Defaults.
const (
	DefaultLease = 15 * time.Second
	DefaultTick  = time.Second
	// restoreAttempts bounds the tries of one rollback before it counts as
	// failed (a load balancer that refuses the recorded state three times
	// will not accept it a fourth).
	restoreAttempts = 3
)

// Options build a Runner.
type Options struct {
	Store store.Store
	Gates Gates
	// Channels are the configured notification channels; a plan naming
	// another is refused.
	Channels []string
	// OpenIncident opens the P1 incident of a failed rollback (nil: logged only).
	OpenIncident IncidentOpener
	// Kick wakes the notification worker after a notification was queued.
	Kick func()
	// Driver builds a plan's traffic driver (default rollout.NewTrafficDriver).
	Driver func(plan string, t *plans.Traffic) (plans.TrafficDriver, error)
	// Users builds a user-batch plan's router (default rollout.NewUserRouter).
	Users func(plan string, u *plans.Users) (UserRouter, error)
	// Owner names this replica in leases.
	Owner string
	Lease time.Duration
	// Tick is how often the runner looks for work and checks requests.
	Tick   time.Duration
	Logger *slog.Logger
	Now    func() time.Time
}

// Runner submits plans and drives them.
type Runner struct {
	o Options

	mu      sync.Mutex
	driving map[int64]bool
}

// New builds a runner; it does nothing until Run.
func New(o Options) *Runner {
	if o.Driver == nil {
		o.Driver = plans.NewTrafficDriver
	}
	if o.Users == nil {
		o.Users = func(plan string, u *plans.Users) (UserRouter, error) { return plans.NewUserRouter(plan, u) }
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Owner == "" {
		o.Owner = "receiver"
	}
	return &Runner{o: o, driving: map[int64]bool{}}
}

// BadPlanError is a plan refused before anything changed: a field that
// does not validate, a gate or channel the receiver does not know, or a
// backend or server the load balancer does not know.
type BadPlanError struct{ Err error }

func (e *BadPlanError) Error() string { return e.Err.Error() }
func (e *BadPlanError) Unwrap() error { return e.Err }

// Submit validates a plan, checks it against the receiver and the load
// balancer, records the traffic in force (what a rollback re-applies) and
// stores the rollout; the runner starts it at its next tick. Nothing on
// the load balancer changes here. Errors: *BadPlanError for the plan,
// otherwise the load balancer or the store could not be reached.
func (r *Runner) Submit(ctx context.Context, source []byte) (store.Rollout, error) {
	p, err := plans.Parse(strings.NewReader(string(source)))
	if err != nil {
		return store.Rollout{}, &BadPlanError{err}
	}
	if err := r.checkNames(p); err != nil {
		return store.Rollout{}, &BadPlanError{err}
	}
	var before []byte
	if p.Users != nil {
		// Nobody is routed yet; the users calls cannot be checked
		// without moving someone, so they are only built.
		if _, err := r.o.Users(p.Name, p.Users); err != nil {
			return store.Rollout{}, &BadPlanError{err}
		}
		before = []byte("[]")
	} else {
		d, err := r.o.Driver(p.Name, p.Traffic)
		if err != nil {
			return store.Rollout{}, &BadPlanError{err}
		}
		if err := d.Check(ctx); err != nil {
			return store.Rollout{}, &BadPlanError{fmt.Errorf("traffic: %w", err)}
		}
		state, err := d.Current(ctx)
		if err != nil {
			return store.Rollout{}, fmt.Errorf("traffic: reading the split in force: %w", err)
		}
		before = state
	}
	planJSON, err := json.Marshal(p)
	if err != nil {
		return store.Rollout{}, err
	}
	ro := store.Rollout{Name: p.Name, Gate: p.Gate, State: store.RolloutRunning, Source: source, Plan: planJSON,
		Step: -1, HoldResumedStep: -1, Before: before, CreatedAt: r.o.Now().UTC()}
	if err := r.o.Store.CreateRollout(ctx, &ro); err != nil {
		return store.Rollout{}, err
	}
	r.o.Logger.Info("rollout submitted", "rollout", ro.ID, "plan", ro.Name, "gate", ro.Gate, "stages", len(p.Stages))
	return ro, nil
}

func (r *Runner) checkNames(p *plans.Plan) error {
	var errs []error
	known := false
	for _, g := range r.o.Gates.Names() {
		known = known || g == p.Gate
	}
	if !known {
		errs = append(errs, fmt.Errorf("gate: %q is not a gate of this receiver (configured: %s)", p.Gate, strings.Join(r.o.Gates.Names(), ", ")))
	}
	checks := r.o.Gates.CheckNames(p.Gate)
	for i, b := range p.Batches {
		for name := range b.Thresholds {
			if known && !slices.Contains(checks, name) {
				errs = append(errs, fmt.Errorf("batches[%d].thresholds[%q]: gate %q has no such check (its checks: %s)", i, name, p.Gate, strings.Join(checks, ", ")))
			}
		}
	}
	for i, n := range p.Notify {
		found := false
		for _, c := range r.o.Channels {
			found = found || c == n
		}
		if !found {
			errs = append(errs, fmt.Errorf("notify[%d]: %q is not a notification channel of this receiver", i, n))
		}
	}
	return errors.Join(errs...)
}

// Requests an operator may make.
const (
	RequestPause  = "pause"
	RequestResume = "resume"
	RequestAbort  = "abort"
)

// Run looks for rollouts to drive every tick until ctx ends; each one it
// can claim runs in its own goroutine. Run returns when they have stopped.
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(r.o.Tick)
	defer t.Stop()
	for {
		r.scan(ctx, &wg)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Runner) scan(ctx context.Context, wg *sync.WaitGroup) {
	active, err := r.o.Store.ListRollouts(ctx, 1000, true)
	if err != nil {
		r.o.Logger.Warn("listing rollouts failed", "err", err)
		return
	}
	for _, ro := range active {
		r.mu.Lock()
		busy := r.driving[ro.ID]
		r.mu.Unlock()
		if busy {
			continue
		}
		if err := r.o.Store.ClaimRollout(ctx, ro.ID, r.o.Owner, r.o.Lease); err != nil {
			if !errors.Is(err, store.ErrLeaseLost) {
				r.o.Logger.Warn("claiming a rollout failed", "rollout", ro.ID, "err", err)
			}
			continue
		}
		r.mu.Lock()
		r.driving[ro.ID] = true
		r.mu.Unlock()
		wg.Go(func() {
			defer func() { r.mu.Lock(); delete(r.driving, ro.ID); r.mu.Unlock() }()
			r.drive(ctx, ro.ID)
		})
	}
}

// drive runs one claimed rollout until it ends, the lease is lost or ctx
// ends.
func (r *Runner) drive(ctx context.Context, id int64) {
	log := r.o.Logger.With("rollout", id)
	ro, err := r.o.Store.Rollout(ctx, id)
	if err != nil {
		log.Warn("reading a claimed rollout failed", "err", err)
		return
	}
	var p plans.Plan
	if err := json.Unmarshal(ro.Plan, &p); err != nil {
		log.Error("stored plan unreadable", "err", err)
		return
	}
	x := &execution{r: r, log: log.With("plan", p.Name), plan: &p, steps: p.Steps()}
	if p.Users != nil {
		u, err := r.o.Users(p.Name, p.Users)
		if err != nil {
			log.Error("stored plan's users calls", "err", err)
			return
		}
		x.mover = &batchMover{x: x, router: u}
	} else {
		d, err := r.o.Driver(p.Name, p.Traffic)
		if err != nil {
			log.Error("stored plan's driver", "err", err)
			return
		}
		x.mover = trafficMover{d}
	}
	log.Info("driving rollout", "state", ro.State, "step", ro.Step, "phase", ro.StepPhase)
	for ctx.Err() == nil {
		if err := r.o.Store.ClaimRollout(ctx, id, r.o.Owner, r.o.Lease); err != nil {
			if ctx.Err() == nil {
				log.Warn("rollout lease lost; another replica drives it", "err", err)
			}
			return
		}
		if ro, err = r.o.Store.Rollout(ctx, id); err != nil {
			log.Warn("reading rollout failed", "err", err)
			sleep(ctx, r.o.Tick)
			continue
		}
		if ro.State.Final() {
			return
		}
		wait, err := x.step(ctx, &ro)
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			log.Warn("rollout lease lost; another replica drives it")
			return
		case err != nil:
			log.Warn("rollout step failed; retrying", "err", err)
			wait = r.o.Tick
		}
		if ro.State.Final() {
			return
		}
		sleep(ctx, min(wait, r.o.Tick))
	}
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// execution is one rollout being driven by this process.
type execution struct {
	r     *Runner
	log   *slog.Logger
	plan  *plans.Plan
	steps []plans.Step
	mover mover
	// lastEval is when this process last asked the gate (in memory: after
	// a restart the gate is asked at once, which costs one evaluation).
	lastEval time.Time
}

func (x *execution) now() time.Time { return x.r.o.Now().UTC() }

func (x *execution) save(ctx context.Context, ro *store.Rollout, clearRequest bool, notify []store.OutboxItem, evs ...store.RolloutEvent) error {
	if err := x.r.o.Store.AdvanceRollout(ctx, ro, x.r.o.Owner, clearRequest, evs, notify); err != nil {
		return err
	}
	if len(notify) > 0 && x.r.o.Kick != nil {
		x.r.o.Kick()
	}
	return nil
}

// step does the next thing the record says and returns how long to wait
// before the next.
func (x *execution) step(ctx context.Context, ro *store.Rollout) (time.Duration, error) {
	if ro.Request != "" {
		return 0, x.request(ctx, ro)
	}
	switch ro.State {
	case store.RolloutPaused:
		return x.r.o.Tick, nil
	case store.RolloutRollingBack:
		return 0, x.rollback(ctx, ro)
	}
	if ro.Step < 0 || ro.StepPhase == "" {
		return 0, x.next(ctx, ro)
	}
	if ro.StepPhase == phaseApplying {
		return 0, x.apply(ctx, ro)
	}
	return x.observe(ctx, ro)
}

const (
	phaseApplying  = "applying"
	phaseObserving = "observing"
)

func (x *execution) request(ctx context.Context, ro *store.Rollout) error {
	req := ro.Request
	ev := store.RolloutEvent{At: x.now(), Step: ro.Step}
	switch {
	case req == RequestAbort && ro.State != store.RolloutRollingBack:
		return x.startRollback(ctx, ro, "aborted by an operator", true)
	case req == RequestPause && ro.State == store.RolloutRunning:
		ro.State, ro.Reason = store.RolloutPaused, "paused by an operator"
		ev.Kind, ev.Note = "paused", ro.Reason
	case req == RequestResume && ro.State == store.RolloutPaused:
		ro.State, ro.Reason, ro.HoldResumedStep = store.RolloutRunning, "", ro.Step
		ev.Kind = "resumed"
		x.lastEval = time.Time{}
	default:
		ev.Kind, ev.Note = "request_ignored", fmt.Sprintf("%s while %s", req, ro.State)
	}
	x.log.Info("rollout request", "request", req, "now", ro.State)
	return x.save(ctx, ro, true, nil, ev)
}

// next records the next stage as being applied (before touching the load
// balancer), or the success after the last.
func (x *execution) next(ctx context.Context, ro *store.Rollout) error {
	i := ro.Step + 1
	if i >= len(x.steps) {
		ro.State, ro.Reason = store.RolloutSucceeded, fmt.Sprintf("every stage passed its window; %s", x.steps[len(x.steps)-1])
		x.log.Info("rollout succeeded")
		return x.save(ctx, ro, false, x.notification(ro, "succeeded"), store.RolloutEvent{At: x.now(), Kind: "succeeded", Step: ro.Step})
	}
	ro.Step, ro.StepPhase, ro.StepStartedAt = i, phaseApplying, time.Time{}
	return x.save(ctx, ro, false, nil, store.RolloutEvent{At: x.now(), Kind: "stage_applying", Step: i,
		Note: fmt.Sprintf("%s: %s", x.steps[i], x.mover.describe(x.steps[i]))})
}

// apply changes the split for the recorded stage. After a crash between
// the record and the change it runs again: the drivers set absolute
// weights, so applying a stage a second time leaves the same split.
func (x *execution) apply(ctx context.Context, ro *store.Rollout) error {
	s := x.steps[ro.Step]
	before := ro.Applied
	if len(before) == 0 {
		before = ro.Before
	}
	after, err := x.mover.apply(ctx, ro, s)
	if errors.Is(err, store.ErrLeaseLost) {
		return err
	}
	if err != nil {
		x.log.Warn("traffic change failed; rolling back", "stage", s.String(), "err", err)
		return x.startRollback(ctx, ro, fmt.Sprintf("load balancer refused %s: %v", s, err), false)
	}
	ro.Applied, ro.StepPhase, ro.StepStartedAt = []byte(after), phaseObserving, x.now()
	x.lastEval = time.Time{}
	x.log.Info("stage applied", "stage", s.String(), "observe", s.Observe)
	return x.save(ctx, ro, false, nil, store.RolloutEvent{At: ro.StepStartedAt, Kind: "traffic_change", Step: ro.Step,
		Before: json.RawMessage(before), After: json.RawMessage(after), Note: s.String()})
}

// observe asks the gate every poll during the recorded window; the stage
// passes when a proceed comes at or after the window's end.
func (x *execution) observe(ctx context.Context, ro *store.Rollout) (time.Duration, error) {
	s := x.steps[ro.Step]
	end := ro.StepStartedAt.Add(s.Observe)
	now := x.now()
	poll := time.Duration(x.plan.Poll)
	due := x.lastEval.IsZero() || now.Sub(x.lastEval) >= poll || (!now.Before(end) && x.lastEval.Before(end))
	if !due {
		return min(x.lastEval.Add(poll).Sub(now), max(end.Sub(now), 0)+time.Millisecond), nil
	}
	d, err := x.r.o.Gates.EvaluateWith(ctx, x.plan.Gate, s.Thresholds)
	x.lastEval = now
	if errors.Is(err, gates.ErrUnknownGate) {
		ro.State, ro.Reason = store.RolloutPaused, fmt.Sprintf("gate %q is no longer configured", x.plan.Gate)
		return 0, x.save(ctx, ro, false, nil, store.RolloutEvent{At: now, Kind: "paused", Step: ro.Step, Note: ro.Reason})
	}
	if err != nil {
		x.log.Warn("gate evaluation failed; asking again next poll", "gate", x.plan.Gate, "err", err)
		return poll, nil
	}
	reasons := strings.Join(d.Reasons, "; ")
	said := "gate " + x.plan.Gate + ": " + reasons // the engine's reasons start with the decision
	if !strings.HasPrefix(reasons, string(d.Decision)) {
		said = "gate " + x.plan.Gate + ": " + string(d.Decision) + ": " + reasons
	}
	ev := store.RolloutEvent{At: now, Kind: "decision", Step: ro.Step, DecisionID: d.ID, Decision: string(d.Decision), Note: reasons}
	switch d.Decision {
	case gate.Rollback:
		x.log.Warn("gate says rollback", "stage", s.String(), "reasons", reasons)
		if err := x.save(ctx, ro, false, nil, ev); err != nil {
			return 0, err
		}
		return 0, x.startRollback(ctx, ro, said, false)
	case gate.Hold:
		if ro.HoldResumedStep != ro.Step {
			ro.State, ro.Reason = store.RolloutPaused, said
			x.log.Info("gate says hold; rollout paused", "stage", s.String(), "reasons", reasons)
			return 0, x.save(ctx, ro, false, nil, ev, store.RolloutEvent{At: now, Kind: "paused", Step: ro.Step, Note: ro.Reason})
		}
		ro.Reason = "holding: " + reasons
		return poll, x.save(ctx, ro, false, nil, ev)
	}
	ro.Reason = ""
	if now.Before(end) {
		return poll, x.save(ctx, ro, false, nil, ev)
	}
	x.log.Info("stage passed", "stage", s.String())
	if err := x.save(ctx, ro, false, nil, ev); err != nil {
		return 0, err
	}
	ro.StepPhase = ""
	return 0, x.next(ctx, ro)
}

func (x *execution) startRollback(ctx context.Context, ro *store.Rollout, reason string, clearRequest bool) error {
	ro.State, ro.Reason = store.RolloutRollingBack, reason
	if err := x.save(ctx, ro, clearRequest, nil, store.RolloutEvent{At: x.now(), Kind: "rollback_started", Step: ro.Step, Note: reason}); err != nil {
		return err
	}
	return x.rollback(ctx, ro)
}

// rollback re-applies the state recorded before the rollout. It is run
// again after a crash (Restore is idempotent).
func (x *execution) rollback(ctx context.Context, ro *store.Rollout) error {
	var (
		err      error
		restored []byte
	)
	for attempt := range restoreAttempts {
		if attempt > 0 {
			sleep(ctx, time.Duration(attempt)*time.Second)
			// Keep the lease through the retries, or stop if it is gone.
			if err := x.r.o.Store.ClaimRollout(ctx, ro.ID, x.r.o.Owner, x.r.o.Lease); err != nil {
				return err
			}
		}
		if restored, err = x.mover.restore(ctx, ro); err == nil {
			break
		}
		x.log.Warn("rollback attempt failed", "attempt", attempt+1, "err", err)
	}
	now := x.now()
	if err != nil {
		reason := fmt.Sprintf("%s; the rollback failed: %v", ro.Reason, err)
		if x.r.o.OpenIncident != nil {
			if ierr := x.r.o.OpenIncident(ctx, *ro, reason); ierr != nil {
				return fmt.Errorf("opening the incident of a failed rollback: %w", ierr)
			}
		}
		ro.State, ro.Reason = store.RolloutFailed, reason
		x.log.Error("rollback failed; P1 incident opened", "err", err)
		return x.save(ctx, ro, false, x.notification(ro, "rollback_failed"),
			store.RolloutEvent{At: now, Kind: "rollback_failed", Step: ro.Step, Note: err.Error()})
	}
	change := store.RolloutEvent{At: now, Kind: "traffic_change", Step: ro.Step, Before: json.RawMessage(ro.Applied),
		After: json.RawMessage(restored), Note: "rollback: " + x.mover.rollbackNote(ro)}
	ro.State, ro.Applied = store.RolloutRolledBack, restored
	x.log.Warn("rollout rolled back", "reason", ro.Reason)
	return x.save(ctx, ro, false, x.notification(ro, "rolled_back"), change,
		store.RolloutEvent{At: now, Kind: "rolled_back", Step: ro.Step, Note: ro.Reason})
}

// notification queues one message per plan channel, keyed so a replay of
// the same transition is queued once.
func (x *execution) notification(ro *store.Rollout, kind string) []store.OutboxItem {
	if len(x.plan.Notify) == 0 {
		return nil
	}
	title := map[string]string{
		"succeeded":       "Rollout %s succeeded",
		"rolled_back":     "Rollout %s rolled back",
		"rollback_failed": "Rollout %s: ROLLBACK FAILED",
	}[kind]
	m := notify.Message{Event: "rollout_" + kind, Priority: "P3", State: string(ro.State), Title: fmt.Sprintf(title, ro.Name),
		Summary: ro.Reason, Labels: map[string]string{"rollout": fmt.Sprint(ro.ID), "plan": ro.Name, "gate": ro.Gate},
		StartedAt: ro.CreatedAt}
	switch kind {
	case "rolled_back":
		m.Priority = "P2"
	case "rollback_failed":
		m.Priority = "P1"
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	now := x.now()
	var items []store.OutboxItem
	for _, ch := range x.plan.Notify {
		items = append(items, store.OutboxItem{Key: fmt.Sprintf("rollout-%d-%s-%s", ro.ID, kind, ch), Channel: ch,
			Kind: "rollout_" + kind, Payload: body, CreatedAt: now, NotBefore: now})
	}
	return items
}
