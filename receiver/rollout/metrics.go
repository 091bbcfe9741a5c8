package rollout

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	plans "github.com/golive-ops/golive/internal/rollout"
	"github.com/golive-ops/golive/receiver/store"
)

// maxPlansExported bounds the plans the metrics describe: the newest
// rollout of each of the most recent plans. Plan names are validated
// (64 characters of [A-Za-z0-9._-]) and this caps how many there are.
const maxPlansExported = 50

var (
	stagePercentDesc = prometheus.NewDesc("golive_rollout_stage_percent",
		"Share of traffic (percent) the plan's newest rollout has on the candidate: the current stage while running or paused, 100 after success, 0 after a rollback.",
		[]string{"plan"}, nil)
	stateDesc = prometheus.NewDesc("golive_rollout_state",
		"1 for the state the plan's newest rollout is in (running, paused, rolling_back, succeeded, rolled_back, failed), 0 for the others.",
		[]string{"plan", "state"}, nil)
	stepDesc = prometheus.NewDesc("golive_rollout_stage",
		"Index (from 1) of the stage the plan's newest rollout is in; 0 before the first.",
		[]string{"plan"}, nil)
)

// Collector reads the rollouts from the store at scrape time, so every
// replica reports the same, durable state.
type Collector struct {
	Store  store.Store
	Logger *slog.Logger
}

func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- stagePercentDesc
	ch <- stateDesc
	ch <- stepDesc
}

func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := c.Store.ListRollouts(ctx, 500, false)
	if err != nil {
		if c.Logger != nil {
			c.Logger.Warn("rollout metrics: listing rollouts failed", "err", err)
		}
		return
	}
	seen := map[string]bool{}
	for _, ro := range list { // newest first
		if seen[ro.Name] || len(seen) >= maxPlansExported {
			continue
		}
		seen[ro.Name] = true
		ch <- prometheus.MustNewConstMetric(stagePercentDesc, prometheus.GaugeValue, StagePercent(ro), ro.Name)
		ch <- prometheus.MustNewConstMetric(stepDesc, prometheus.GaugeValue, float64(ro.Step+1), ro.Name)
		for _, s := range store.RolloutStates {
			v := 0.0
			if ro.State == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, v, ro.Name, string(s))
		}
	}
}

// StagePercent is the candidate's share of traffic that the record says
// is in force.
func StagePercent(ro store.Rollout) float64 {
	switch ro.State {
	case store.RolloutSucceeded:
		return 100
	case store.RolloutRolledBack:
		return 0
	}
	if ro.Step < 0 || ro.StepPhase == phaseApplying && ro.Step == 0 {
		return 0
	}
	var p plans.Plan
	if json.Unmarshal(ro.Plan, &p) != nil {
		return 0
	}
	steps := p.Steps()
	i := ro.Step
	if ro.StepPhase == phaseApplying {
		i-- // not yet applied: the previous stage is in force
	}
	if i < 0 || i >= len(steps) {
		return 0
	}
	return steps[i].Percent
}
