package remediate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// Decision is a person's answer to an approval request.
type Decision struct {
	Actor   string `json:"actor"`
	Comment string `json:"comment,omitempty"`
}

func (d Decision) check() error {
	if strings.TrimSpace(d.Actor) == "" {
		return fmt.Errorf("%w: actor is required", ErrInvalid)
	}
	if len(d.Actor) > 200 || len(d.Comment) > 10000 || strings.ContainsRune(d.Actor+d.Comment, 0) {
		return fmt.Errorf("%w: actor (200 bytes) or comment (10000 bytes) too long, or a NUL character", ErrInvalid)
	}
	return nil
}

// Approve runs an awaiting remediation, after checking again what held
// when it was planned: not expired, not paused, the incident still open
// in the same cycle, the budgets and the rate limit not exhausted since.
func (e *Engine) Approve(ctx context.Context, id int64, d Decision) (store.Remediation, error) {
	if err := d.check(); err != nil {
		return store.Remediation{}, err
	}
	return e.decide(ctx, id, func(ctx context.Context, tx store.Tx, r *store.Remediation, now time.Time) error {
		// Lock order, as everywhere: remediation row, incident, control row
		// (ingest takes the incident, then the control row).
		inc, err := tx.IncidentForUpdate(ctx, r.IncidentID)
		if err != nil {
			return err
		}
		if !inc.State.Open() || inc.Cycle != r.Cycle {
			return fmt.Errorf("%w: incident %d is %s now (cycle %d); this request was for cycle %d", ErrConflict, inc.ID, inc.State, inc.Cycle, r.Cycle)
		}
		ctl, err := tx.LockControl(ctx)
		if err != nil {
			return err
		}
		if ctl.Paused {
			return fmt.Errorf("%w: %s; resume first", ErrConflict, pausedReason(ctl))
		}
		c := e.actions[r.Action]
		if c == nil {
			return fmt.Errorf("%w: action %s is no longer configured", ErrConflict, r.Action)
		}
		cp := *r
		cp.DryRun = false
		c2 := *c
		c2.cfg.Cooldown = 0
		if reason, _, err := e.guardrails(ctx, tx, &c2, cp, now); err != nil || reason != "" {
			return errors.Join(err, fmt.Errorf("%w: %s", ErrConflict, reason))
		}
		r.State, r.DecidedBy, r.DecisionNote = store.RemediationPlanned, d.Actor, d.Comment
		if err := tx.UpdateRemediation(ctx, *r); err != nil {
			return err
		}
		if err := e.event(ctx, tx, *r, EventApproved, d.Comment, now); err != nil {
			return err
		}
		return e.enqueue(ctx, tx, *r, now)
	}, true)
}

// Reject closes an awaiting remediation.
func (e *Engine) Reject(ctx context.Context, id int64, d Decision) (store.Remediation, error) {
	if err := d.check(); err != nil {
		return store.Remediation{}, err
	}
	return e.decide(ctx, id, func(ctx context.Context, tx store.Tx, r *store.Remediation, now time.Time) error {
		r.State, r.DecidedBy, r.DecisionNote, r.FinishedAt = store.RemediationRejected, d.Actor, d.Comment, now
		e.o.Metrics.result(r.Action, r.State)
		return errors.Join(tx.UpdateRemediation(ctx, *r), e.event(ctx, tx, *r, EventRejected, d.Comment, now))
	}, false)
}

func (e *Engine) decide(ctx context.Context, id int64, fn func(context.Context, store.Tx, *store.Remediation, time.Time) error,
	kick bool) (store.Remediation, error) {
	var r store.Remediation
	expired := false
	err := e.o.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if r, err = tx.RemediationForUpdate(ctx, id); err != nil {
			return err
		}
		now := e.o.Now()
		if r.State != store.RemediationAwaitingApproval {
			return fmt.Errorf("%w: remediation %d is %s, not awaiting approval", ErrConflict, id, r.State)
		}
		if !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt) {
			expired = true
			return e.expireOne(ctx, tx, &r, now)
		}
		r.UpdatedAt = now
		return fn(ctx, tx, &r, now)
	})
	if err == nil && expired {
		return r, fmt.Errorf("%w: the approval request expired at %s", ErrConflict, r.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if err == nil && kick {
		e.o.Kick()
	}
	return r, err
}

func (e *Engine) expireOne(ctx context.Context, tx store.Tx, r *store.Remediation, now time.Time) error {
	r.State, r.UpdatedAt, r.FinishedAt = store.RemediationExpired, now, now
	r.Reason = "nobody approved it before " + r.ExpiresAt.UTC().Format(time.RFC3339)
	e.o.Metrics.result(r.Action, r.State)
	return errors.Join(tx.UpdateRemediation(ctx, *r), e.event(ctx, tx, *r, EventExpired, r.Reason, now))
}

// ExpireDue lapses approval requests past their expiry; it returns how
// many.
func (e *Engine) ExpireDue(ctx context.Context) (int, error) {
	due, err := e.o.Store.ListRemediations(ctx, store.RemediationFilter{ExpiredBefore: e.o.Now(), Limit: 100})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range due {
		err := e.o.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			r, err := tx.RemediationForUpdate(ctx, d.ID)
			if err != nil || r.State != store.RemediationAwaitingApproval {
				return err // decided meanwhile
			}
			n++
			return e.expireOne(ctx, tx, &r, e.o.Now())
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// SetPaused flips the global kill switch; while paused nothing is planned
// to run and nothing queued starts.
func (e *Engine) SetPaused(ctx context.Context, paused bool, d Decision) (store.RemediationControl, error) {
	if err := d.check(); err != nil {
		return store.RemediationControl{}, err
	}
	c := store.RemediationControl{Paused: paused, Actor: d.Actor, Note: d.Comment, At: e.o.Now()}
	err := e.o.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.LockControl(ctx); err != nil {
			return err
		}
		return tx.SetControl(ctx, c)
	})
	if err == nil {
		e.o.Logger.Warn("remediation kill switch", "paused", paused, "actor", d.Actor, "comment", d.Comment)
		if !paused {
			e.o.Kick()
		}
	}
	return c, err
}

// RunExpiry lapses due approval requests every interval until ctx ends.
func (e *Engine) RunExpiry(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := e.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			e.o.Logger.Warn("expiring approval requests failed", "err", err)
		}
	}
}
