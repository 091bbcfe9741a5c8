package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/probemodule"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/store"
)

// maxRuns bounds the attempts of one remediation the action said were
// worth retrying.
const maxRuns = 3

// Handle is the job handler of store.QueueRemediate (jobs.Handler): it
// records the attempt as running, runs it, and records the outcome.
func (e *Engine) Handle(ctx context.Context, it store.OutboxItem) (bool, error) {
	var p jobPayload
	if err := json.Unmarshal(it.Payload, &p); err != nil || p.ID == 0 {
		return false, fmt.Errorf("remediation job %s: bad payload", it.Key)
	}
	r, run, err := e.start(ctx, p.ID)
	if err != nil || !run {
		return err != nil, err
	}
	c := e.actions[r.Action]
	var (
		rep    action.Report
		retry  bool
		runErr error
	)
	if c == nil {
		runErr = fmt.Errorf("action %s is no longer configured", r.Action)
	} else {
		var req action.Request
		if err := json.Unmarshal(r.Request, &req); err != nil {
			runErr = fmt.Errorf("decoding the stored request: %w", err)
		} else {
			rep, retry, runErr = c.act.Run(ctx, req)
			if runErr == nil && c.cfg.Verify != nil {
				rep.Verify, runErr = e.verify(ctx, c.cfg.Verify)
				retry = false
			}
		}
	}
	if ctx.Err() != nil {
		// Shut down or lease lost mid-attempt: the row stays running, and
		// whoever claims the job next decides (rerun if idempotent, else
		// unknown). Nothing here knows whether the action took effect.
		return true, fmt.Errorf("remediation %d interrupted: %w", r.ID, ctx.Err())
	}
	again, err := e.finish(ctx, r.ID, rep, retry, runErr)
	if err != nil {
		return true, err
	}
	if again {
		return true, runErr
	}
	return false, nil
}

// start records the attempt before it runs. A row found running is one
// whose attempt never reported back (a crash or a shutdown).
func (e *Engine) start(ctx context.Context, id int64) (store.Remediation, bool, error) {
	var (
		r   store.Remediation
		run bool
	)
	err := e.o.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		run = false
		if r, err = tx.RemediationForUpdate(ctx, id); err != nil {
			return err
		}
		now := e.o.Now()
		switch r.State {
		case store.RemediationPlanned:
			ctl, err := tx.LockControl(ctx)
			if err != nil {
				return err
			}
			if ctl.Paused {
				r.State, r.Reason, r.UpdatedAt, r.FinishedAt = store.RemediationSkipped, pausedReason(ctl), now, now
				e.o.Metrics.result(r.Action, r.State)
				return errors.Join(tx.UpdateRemediation(ctx, r), e.event(ctx, tx, r, EventSkipped, r.Reason, now))
			}
		case store.RemediationRunning:
			if !r.Idempotent {
				r.State, r.UpdatedAt, r.FinishedAt = store.RemediationUnknown, now, now
				r.Reason = fmt.Sprintf("attempt %d started at %s and never reported back (the receiver crashed or stopped); "+
					"it may or may not have taken effect, and it is not idempotent, so it is not run again: check, then act by hand",
					r.Attempts, r.StartedAt.UTC().Format(time.RFC3339))
				e.o.Metrics.result(r.Action, r.State)
				return errors.Join(tx.UpdateRemediation(ctx, r), e.event(ctx, tx, r, EventUnknown, r.Reason, now),
					e.escalate(ctx, tx, r, "unknown", fmt.Sprintf("remediation %s: outcome unknown", r.Action)))
			}
		default:
			return nil // decided already (a duplicate job)
		}
		r.State, r.Attempts, r.StartedAt, r.UpdatedAt = store.RemediationRunning, r.Attempts+1, now, now
		run = true
		return errors.Join(tx.UpdateRemediation(ctx, r), e.event(ctx, tx, r, EventStarted, "", now))
	})
	return r, run, err
}

// finish records the outcome; again reports that the action asked for
// another attempt and has runs left.
func (e *Engine) finish(ctx context.Context, id int64, rep action.Report, retry bool, runErr error) (bool, error) {
	again := false
	err := e.o.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		r, err := tx.RemediationForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if r.State != store.RemediationRunning {
			return nil
		}
		now := e.o.Now()
		r.Result, r.UpdatedAt = mustJSON(rep), now
		switch {
		case runErr == nil:
			r.State, r.Reason, r.FinishedAt = store.RemediationSucceeded, "", now
			e.o.Metrics.result(r.Action, r.State)
			return errors.Join(tx.UpdateRemediation(ctx, r), e.event(ctx, tx, r, EventSucceeded, outcome(rep), now))
		case retry && r.Attempts < maxRuns:
			again = true
			r.State, r.Reason = store.RemediationPlanned, runErr.Error()
			return errors.Join(tx.UpdateRemediation(ctx, r),
				e.event(ctx, tx, r, EventFailed, fmt.Sprintf("attempt %d failed, will retry: %v", r.Attempts, runErr), now))
		default:
			r.State, r.Reason, r.FinishedAt = store.RemediationFailed, runErr.Error(), now
			e.o.Metrics.result(r.Action, r.State)
			return errors.Join(tx.UpdateRemediation(ctx, r), e.event(ctx, tx, r, EventFailed, r.Reason, now),
				e.escalate(ctx, tx, r, "failed", fmt.Sprintf("remediation %s failed: %v", r.Action, runErr)))
		}
	})
	return again, err
}

// verify is the post-check: after Delay, GET the URL or run the probe
// every 2s until it answers an expected status or succeeds, or Timeout
// passes.
func (e *Engine) verify(ctx context.Context, v *Verify) (string, error) {
	timeout := time.Duration(v.Timeout)
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	select {
	case <-time.After(time.Duration(v.Delay)):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	what, check := v.URL, func() (bool, string) {
		code, _, err := e.get(ctx, v.URL)
		if err != nil {
			return false, err.Error()
		}
		return expected(v.Status, code), fmt.Sprintf("status %d", code)
	}
	if p := v.Probe; p != nil {
		m := e.modules[p.Module] // ProbeModules checked it exists
		what, check = fmt.Sprintf("probe %s of %s", p.Module, p.Target), func() (bool, string) {
			res, err := probemodule.Run(ctx, p.Target, m)
			switch {
			case err != nil:
				return false, err.Error()
			case res.Success:
				return true, "probe_success 1"
			case res.Reason != "":
				return false, "probe_success 0: " + res.Reason
			}
			return false, "probe_success 0"
		}
	}
	last := ""
	for try := 1; ; try++ {
		ok, state := check()
		if ok {
			return fmt.Sprintf("%s: %s on try %d", what, state, try), nil
		}
		last = state
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			verdict := fmt.Sprintf("%s: %s after %d tries", what, last, try)
			return verdict, fmt.Errorf("post-check failed: %s", verdict)
		}
	}
}

func (e *Engine) get(ctx context.Context, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := e.o.Client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
	return resp.StatusCode, string(b), err
}

func expected(codes []int, code int) bool {
	if len(codes) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(codes, code)
}

// outcome is one line about an attempt for the timeline: status,
// duration, links (a war room) and the post-check's verdict.
func outcome(rep action.Report) string {
	var parts []string
	switch {
	case rep.ExitCode != nil:
		parts = append(parts, fmt.Sprintf("exit %d", *rep.ExitCode))
	case rep.HTTPStatus != 0:
		parts = append(parts, fmt.Sprintf("HTTP %d", rep.HTTPStatus))
	}
	parts = append(parts, "in "+rep.Duration.Round(time.Millisecond).String())
	for _, name := range slices.Sorted(maps.Keys(rep.Links)) {
		parts = append(parts, name+" "+rep.Links[name])
	}
	if len(rep.Attachments) > 0 {
		parts = append(parts, fmt.Sprintf("%d attachments", len(rep.Attachments)))
	}
	if rep.Verify != "" {
		parts = append(parts, "post-check "+rep.Verify)
	}
	return strings.Join(parts, ", ")
}
