package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Rollout is what the report reads of one `golive rollout` plan run.
type Rollout struct {
	ID    int64
	Plan  string // the plan's name
	Gate  string
	State string // running, paused, rolling_back, succeeded, rolled_back, failed
	// Stages is how many stages (or batches) the plan has; Reached the
	// 1-based stage it was in last (0: none started) and StageName its name.
	Stages, Reached int
	StageName       string
	// Reason is why it ended or is held, as the runner recorded it.
	Reason string
	// RollbackDecision is the gate decision that rolled it back (0: none,
	// e.g. an operator's abort) and RollbackReasons that decision's reasons.
	RollbackDecision int64
	RollbackReasons  string
	StartedAt        time.Time
	EndedAt          time.Time // zero: not ended
	// Decisions are the rollout's gate decisions, oldest first.
	Decisions []Decision
}

// Decision is one gate decision taken for a rollout.
type Decision struct {
	ID      int64
	At      time.Time
	Outcome string // proceed, hold, rollback
}

// RolloutSource is implemented by incident sources that also know the
// receiver's rollouts: those that started, ended or were still going during
// [from, to). A source without them leaves the section out.
type RolloutSource interface {
	Rollouts(ctx context.Context, from, to time.Time) ([]Rollout, error)
}

// Rollout outcomes as the report counts them.
const (
	RolloutSucceeded  = "succeeded"
	RolloutRolledBack = "rolled_back"
	RolloutFailed     = "failed"
	RolloutPaused     = "paused"
)

// PlanStats are one plan's rollouts in the day: started during it, ended
// during it by outcome, and not ended at its end.
type PlanStats struct {
	Plan                                           string
	Started, Succeeded, RolledBack, Failed, Active int
}

// GateStats count one gate's decisions in the day by outcome.
type GateStats struct {
	Gate                    string
	Proceed, Hold, Rollback int
	Other                   int // an outcome this report does not know
}

// Outcome is where ro was at the end of [from, to): its final state if it
// ended by then, its state now if it has not ended (running, paused or
// rolling_back), "running" if it ended only after the day.
func (ro Rollout) Outcome(to time.Time) string {
	if ro.EndedAt.IsZero() || ro.EndedAt.Before(to) {
		return ro.State
	}
	return "running"
}

// Duration is how long r ran: to its end, or to the end of the day for
// one still going.
func (ro Rollout) Duration(to time.Time) time.Duration {
	end := ro.EndedAt
	if end.IsZero() || !end.Before(to) {
		end = to
	}
	return end.Sub(ro.StartedAt)
}

func (r *Report) rollouts(ctx context.Context, src RolloutSource) {
	rs, err := src.Rollouts(ctx, r.From, r.To)
	if err != nil {
		r.Warnings = append(r.Warnings, "rollouts: "+err.Error())
		if rs == nil {
			return // A partial answer (a limit reached) comes with its error.
		}
	}
	r.RolloutsKnown = true
	plans := map[string]*PlanStats{}
	gates := map[string]*GateStats{}
	for _, ro := range rs {
		started := in(ro.StartedAt, r.From, r.To)
		ended := in(ro.EndedAt, r.From, r.To)
		active := ro.StartedAt.Before(r.To) && (ro.EndedAt.IsZero() || !ro.EndedAt.Before(r.To))
		if !started && !ended && !active {
			continue
		}
		r.Rollouts = append(r.Rollouts, ro)
		p := plans[ro.Plan]
		if p == nil {
			p = &PlanStats{Plan: ro.Plan}
			plans[ro.Plan] = p
		}
		if started {
			p.Started++
		}
		switch {
		case active:
			p.Active++
		case ended && ro.State == RolloutSucceeded:
			p.Succeeded++
		case ended && ro.State == RolloutRolledBack:
			p.RolledBack++
		case ended && ro.State == RolloutFailed:
			p.Failed++
		}
		for _, d := range ro.Decisions {
			if !in(d.At, r.From, r.To) {
				continue
			}
			g := gates[ro.Gate]
			if g == nil {
				g = &GateStats{Gate: ro.Gate}
				gates[ro.Gate] = g
			}
			switch d.Outcome {
			case "proceed":
				g.Proceed++
			case "hold":
				g.Hold++
			case "rollback":
				g.Rollback++
			default:
				g.Other++
			}
		}
	}
	sort.Slice(r.Rollouts, func(i, j int) bool { return r.Rollouts[i].StartedAt.Before(r.Rollouts[j].StartedAt) })
	for _, p := range plans {
		r.RolloutPlans = append(r.RolloutPlans, *p)
	}
	sort.Slice(r.RolloutPlans, func(i, j int) bool { return r.RolloutPlans[i].Plan < r.RolloutPlans[j].Plan })
	for _, g := range gates {
		r.GateDecisions = append(r.GateDecisions, *g)
	}
	sort.Slice(r.GateDecisions, func(i, j int) bool { return r.GateDecisions[i].Gate < r.GateDecisions[j].Gate })
}

// rolloutAttention: a rollout that rolled back (or is rolling back),
// failed, or is held for an operator needs someone; one that succeeded or
// is progressing is planned change going as planned and leaves a quiet day
// quiet (it is listed in its section all the same).
func (r *Report) rolloutAttention(add func(string, ...any)) {
	for _, ro := range r.Rollouts {
		why := ro.Why()
		switch ro.Outcome(r.To) {
		case RolloutRolledBack:
			add("rollout #%d %s rolled back at stage %s: %s", ro.ID, ro.Plan, ro.Stage(), why)
		case "rolling_back":
			add("rollout #%d %s is rolling back from stage %s: %s", ro.ID, ro.Plan, ro.Stage(), why)
		case RolloutFailed:
			add("rollout #%d %s failed (its rollback did not complete) at stage %s: %s", ro.ID, ro.Plan, ro.Stage(), why)
		case RolloutPaused:
			add("rollout #%d %s is paused at stage %s: %s", ro.ID, ro.Plan, ro.Stage(), why)
		}
	}
}

// Stage is "2/4 (25%)": the stage reached of how many, with its name.
func (ro Rollout) Stage() string {
	s := fmt.Sprintf("%d/%d", ro.Reached, ro.Stages)
	if ro.StageName != "" {
		s += " (" + ro.StageName + ")"
	}
	return s
}

// Why is the reason shown for a rollout: the rolling-back decision's
// reasons when a gate rolled it back, the runner's reason otherwise.
func (ro Rollout) Why() string {
	if ro.RollbackReasons != "" {
		return fmt.Sprintf("decision #%d: %s", ro.RollbackDecision, ro.RollbackReasons)
	}
	return ro.Reason
}

func (r *Report) rolloutText(b *strings.Builder, tw func(title, header string, rows [][]string)) {
	if len(r.Rollouts) == 0 {
		b.WriteString("Rollouts: none\n\n")
		return
	}
	var rows [][]string
	for _, p := range r.RolloutPlans {
		rows = append(rows, []string{p.Plan, fmt.Sprint(p.Started), fmt.Sprint(p.Succeeded), fmt.Sprint(p.RolledBack), fmt.Sprint(p.Failed), fmt.Sprint(p.Active)})
	}
	tw("Rollouts per plan", "plan\tstarted\tsucceeded\trolled back\tfailed\tnot ended", rows)
	rows = nil
	for _, ro := range r.Rollouts {
		rows = append(rows, []string{fmt.Sprintf("#%d", ro.ID), ro.Plan, ro.StartedAt.In(r.Location).Format("15:04"),
			ro.Outcome(r.To), ro.Stage(), Duration(ro.Duration(r.To)), ro.Why()})
	}
	tw("Rollouts", "rollout\tplan\tstarted\toutcome\tstage reached\tduration\treason", rows)
	rows = nil
	for _, g := range r.GateDecisions {
		rows = append(rows, []string{g.Gate, fmt.Sprint(g.Proceed), fmt.Sprint(g.Hold), fmt.Sprint(g.Rollback), fmt.Sprint(g.Other)})
	}
	tw("Gate decisions", "gate\tproceed\thold\trollback\tother", rows)
}
