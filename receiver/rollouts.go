package receiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/prometheus/alertmanager/template"

	"github.com/golive-ops/golive/receiver/rollout"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/webhook"
)

// buildRollouts wires the rollout runner of one generation: its gates, its
// channels, its outbox worker and its incident engine.
func (a *App) buildRollouts(g *generation, channels []string) {
	sort.Strings(channels)
	g.rollouts = rollout.New(rollout.Options{Store: a.store, Gates: g.gates, Channels: channels, Kick: g.worker.Kick,
		OpenIncident: func(ctx context.Context, r store.Rollout, reason string) error {
			return openRollbackFailedIncident(ctx, kickOnChange{g.engine, func() { g.worker.Kick(); a.remedyWorker.Kick() }}, r, reason)
		},
		Owner: workerName(), Logger: a.log.With("component", "rollout"), Now: a.opts.Now})
}

// RolloutRunner is the rollout runner of the config in use (tests).
func (a *App) RolloutRunner() *rollout.Runner { return a.gen.Load().rollouts }

// openRollbackFailedIncident opens a P1 incident through the same path
// as an alert, so it is graded, grouped, notified and visible like any
// other. The alert's key derives from the rollout alone: opening it again
// after a crash stores nothing new.
func openRollbackFailedIncident(ctx context.Context, in kickOnChange, r store.Rollout, reason string) error {
	sum := sha256.Sum256(fmt.Appendf(nil, "golive-rollout-%d-rollback-failed", r.ID))
	fp := hex.EncodeToString(sum[:8])
	labels := template.KV{"alertname": "GoliveRolloutRollbackFailed", "severity": "critical", "priority": "P1",
		"plan": r.Name, "rollout": fmt.Sprint(r.ID), "gate": r.Gate}
	msg := &webhook.Message{Version: "4", GroupKey: "golive-rollout/" + fp, Data: template.Data{
		Receiver: "golive-rollout", Status: "firing", GroupLabels: template.KV{"alertname": "GoliveRolloutRollbackFailed"},
		CommonLabels: labels, CommonAnnotations: template.KV{},
		Alerts: template.Alerts{{Status: "firing", Labels: labels, Fingerprint: fp, StartsAt: r.CreatedAt,
			Annotations: template.KV{"summary": fmt.Sprintf("Rollout %d (%s) could not be rolled back: traffic is not where it was", r.ID, r.Name),
				"description": reason}}},
	}}
	raw, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	_, err = in.Ingest(ctx, msg, raw)
	return err
}

// rolloutMetrics registers the rollout gauges, read from the store.
func (a *App) rolloutMetrics() {
	a.reg.MustRegister(&rollout.Collector{Store: a.store, Logger: a.log})
}
