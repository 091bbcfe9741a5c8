package dailyreport

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/receiver/rollout"
	"github.com/golive-ops/golive/receiver/store"
)

// maxRollouts is how many rollouts one read lists (the API's limit),
// newest first.
const maxRollouts = 1000

// Rollouts implements report.RolloutSource from the store.
func (s StoreSource) Rollouts(ctx context.Context, from, to time.Time) ([]report.Rollout, error) {
	list, err := s.Store.ListRollouts(ctx, maxRollouts, false)
	if err != nil {
		return nil, err
	}
	var out []report.Rollout
	for _, ro := range during(list, from, to) {
		evs, err := s.Store.RolloutEvents(ctx, ro.ID)
		if err != nil {
			return nil, fmt.Errorf("rollout %d: %w", ro.ID, err)
		}
		out = append(out, convertRollout(rollout.Render(ro, evs)))
	}
	return out, limited(list, from)
}

// Rollouts implements report.RolloutSource through the receiver's API:
// GET /api/v1/rollouts for the list, GET /api/v1/rollouts/{id} for the
// decisions of those the day saw.
func (s APISource) Rollouts(ctx context.Context, from, to time.Time) ([]report.Rollout, error) {
	var views []rollout.View
	if err := s.get(ctx, "/api/v1/rollouts?limit="+strconv.Itoa(maxRollouts), &views); err != nil {
		return nil, err
	}
	list := make([]store.Rollout, len(views))
	for i, v := range views {
		list[i] = v.Rollout
	}
	var out []report.Rollout
	for _, ro := range during(list, from, to) {
		var v rollout.View
		if err := s.get(ctx, "/api/v1/rollouts/"+strconv.FormatInt(ro.ID, 10), &v); err != nil {
			return nil, err
		}
		out = append(out, convertRollout(v))
	}
	return out, limited(list, from)
}

// during keeps the rollouts that started before to and had not ended by
// from: those that started, ended or ran during the day.
func during(list []store.Rollout, from, to time.Time) []store.Rollout {
	var out []store.Rollout
	for _, ro := range list {
		if !ro.CreatedAt.Before(to) || !ro.EndedAt.IsZero() && ro.EndedAt.Before(from) {
			continue
		}
		out = append(out, ro)
	}
	return out
}

// limited says when the list was cut at its limit while the oldest listed
// rollout still began after from: older ones of the day may be missing.
func limited(list []store.Rollout, from time.Time) error {
	if len(list) == maxRollouts && list[len(list)-1].CreatedAt.After(from) {
		return fmt.Errorf("more than %d rollouts since %s: only the newest %d are listed", maxRollouts, from.Format(time.RFC3339), maxRollouts)
	}
	return nil
}

func convertRollout(v rollout.View) report.Rollout {
	ro := report.Rollout{
		ID: v.ID, Plan: v.Name, Gate: v.Gate, State: string(v.State), Stages: len(v.Stages),
		Reason: v.Reason, StartedAt: v.CreatedAt, EndedAt: v.EndedAt,
	}
	for i, s := range v.Stages {
		if s.Status != "pending" {
			ro.Reached, ro.StageName = i+1, s.Name
		}
	}
	for _, e := range v.Decisions {
		ro.Decisions = append(ro.Decisions, report.Decision{ID: e.DecisionID, At: e.At, Outcome: e.Decision})
	}
	switch v.State {
	case store.RolloutRollingBack, store.RolloutRolledBack, store.RolloutFailed:
		// The gate's last rollback decision started it; an operator's abort
		// leaves none and Reason says so.
		for i := len(v.Decisions) - 1; i >= 0; i-- {
			if e := v.Decisions[i]; e.Decision == "rollback" {
				ro.RollbackDecision, ro.RollbackReasons = e.DecisionID, e.Note
				break
			}
		}
	}
	return ro
}
