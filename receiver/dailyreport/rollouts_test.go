package dailyreport

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/internal/rollout"
	"github.com/golive-ops/golive/receiver/store"
)

// dayRollouts are the rollouts seedRollouts stores, with what the report
// must say of each.
type dayRollout struct {
	plan, outcome, stage string
	started, ended       time.Time // ended zero: still running at the day's end
	reasons              string
	decisions            []string
}

// seedRollouts stores, on the scenario's day: web succeeded through its
// three stages (two proceeds), web again rolled back at stage 2 by a
// decision with a reason, api still running at the end in stage 1 (one
// hold); and one web rollout of the day before that ended then (not
// reported).
func seedRollouts(t *testing.T, st store.Store, day, end time.Time) []dayRollout {
	t.Helper()
	ctx := context.Background()
	plan := func(name string) []byte {
		p := rollout.Plan{Name: name, Gate: "prod", Stages: []rollout.Stage{
			{Percent: 10, Observe: model.Duration(10 * time.Minute)}, {Percent: 50, Observe: model.Duration(10 * time.Minute)}, {Percent: 100, Observe: model.Duration(10 * time.Minute)}}}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := []dayRollout{
		{plan: "web", outcome: "succeeded", stage: "3/3 (stage 3 (100%))", started: day.Add(9 * time.Hour), ended: day.Add(9*time.Hour + 37*time.Minute),
			decisions: []string{"proceed", "proceed"}},
		{plan: "web", outcome: "rolled_back", stage: "2/3 (stage 2 (50%))", started: day.Add(14 * time.Hour), ended: day.Add(14*time.Hour + 23*time.Minute),
			reasons: "error ratio 0.07 above 0.05", decisions: []string{"proceed", "rollback"}},
		{plan: "api", outcome: "running", stage: "1/3 (stage 1 (10%))", started: end.Add(-20 * time.Minute), decisions: []string{"hold"}},
		{plan: "web", outcome: "", started: day.Add(-3 * time.Hour), ended: day.Add(-2 * time.Hour), decisions: []string{"rollback"}},
	}
	for i, w := range want {
		ro := &store.Rollout{Name: w.plan, Gate: "prod", State: store.RolloutRunning, Plan: plan(w.plan), Source: plan(w.plan), Before: []byte(`{}`), Applied: []byte(`{}`), Step: -1, CreatedAt: w.started}
		if err := st.CreateRollout(ctx, ro); err != nil {
			t.Fatal(err)
		}
		owner := fmt.Sprint("test-", i)
		if err := st.ClaimRollout(ctx, ro.ID, owner, time.Hour); err != nil {
			t.Fatal(err)
		}
		var evs []store.RolloutEvent
		for j, d := range w.decisions {
			gd := &store.GateDecision{Gate: "prod", Decision: d, EvaluatedAt: w.started.Add(time.Duration(j+1) * 10 * time.Minute), Body: []byte(`{}`)}
			if err := st.InsertGateDecision(ctx, gd); err != nil {
				t.Fatal(err)
			}
			note := "all checks pass"
			if d == "rollback" {
				note = w.reasons
			}
			evs = append(evs, store.RolloutEvent{At: gd.EvaluatedAt, Kind: "decision", Step: j, DecisionID: gd.ID, Decision: d, Note: note})
		}
		ro.Step, ro.StepPhase = len(w.decisions)-1, "observing"
		switch w.outcome {
		case "succeeded":
			ro.Step, ro.State, ro.Reason, ro.EndedAt = 2, store.RolloutSucceeded, "every stage passed its window", w.ended
		case "rolled_back", "":
			ro.State, ro.Reason, ro.EndedAt = store.RolloutRolledBack, w.reasons, w.ended
		}
		if err := st.AdvanceRollout(ctx, ro, owner, false, evs, nil); err != nil {
			t.Fatal(err)
		}
	}
	return want[:3]
}

// checkRollouts compares the report's rollout section with want.
func checkRollouts(t *testing.T, r *report.Report, want []dayRollout) {
	t.Helper()
	if !r.RolloutsKnown || len(r.Rollouts) != len(want) {
		t.Fatalf("rollouts = %+v (known %v), want %d", r.Rollouts, r.RolloutsKnown, len(want))
	}
	plans := map[string]report.PlanStats{}
	gates := report.GateStats{Gate: "prod"}
	for i, w := range want {
		got := r.Rollouts[i]
		if got.Plan != w.plan || got.Outcome(r.To) != w.outcome || got.Stage() != w.stage || !got.StartedAt.Equal(w.started) {
			t.Errorf("rollout %d = %s %s at %s from %s, want %s %s at %s from %s", i, got.Plan, got.Outcome(r.To), got.Stage(), got.StartedAt,
				w.plan, w.outcome, w.stage, w.started)
		}
		end := w.ended
		if end.IsZero() {
			end = r.To
		}
		if d := got.Duration(r.To); d != end.Sub(w.started) {
			t.Errorf("rollout %d lasted %s, want %s", i, d, end.Sub(w.started))
		}
		if w.reasons != "" && (!strings.Contains(got.Why(), w.reasons) || got.RollbackDecision == 0) {
			t.Errorf("rollout %d: why %q (decision %d), want the rolling-back decision with %q", i, got.Why(), got.RollbackDecision, w.reasons)
		}
		p := plans[w.plan]
		p.Plan = w.plan
		p.Started++
		switch w.outcome {
		case "succeeded":
			p.Succeeded++
		case "rolled_back":
			p.RolledBack++
		case "running":
			p.Active++
		}
		plans[w.plan] = p
		for _, d := range w.decisions {
			switch d {
			case "proceed":
				gates.Proceed++
			case "hold":
				gates.Hold++
			case "rollback":
				gates.Rollback++
			}
		}
	}
	if len(r.RolloutPlans) != len(plans) {
		t.Errorf("plans = %+v, want %+v", r.RolloutPlans, plans)
	}
	for _, p := range r.RolloutPlans {
		if p != plans[p.Plan] {
			t.Errorf("plan %s = %+v, want %+v", p.Plan, p, plans[p.Plan])
		}
	}
	if len(r.GateDecisions) != 1 || r.GateDecisions[0] != gates {
		t.Errorf("gate decisions = %+v, want %+v", r.GateDecisions, gates)
	}
	// A rollback needs someone; a success and a rollout in progress do not.
	var attn []string
	for _, a := range r.Attention {
		if strings.HasPrefix(a, "rollout ") {
			attn = append(attn, a)
		}
	}
	if len(attn) != 1 || !strings.Contains(attn[0], "web rolled back at stage 2/3") || !strings.Contains(attn[0], want[1].reasons) {
		t.Errorf("rollout attention = %q, want the rollback of web with its reason", attn)
	}
}
