package readiness

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// grace is how long past its timeout the runner waits for an item before
// reporting it timed out: enough for a check to return its own, better
// worded error at the deadline.
const grace = 250 * time.Millisecond

// Run evaluates every item of c concurrently, each under its own timeout,
// and returns the report. It returns within the slowest item's timeout
// plus grace, whatever the checks do: a check still running then is
// abandoned and reported as an error ("timed out").
func Run(ctx context.Context, c *Checklist, env *Env) *Report {
	r := &Report{GeneratedAt: env.Now().UTC(), Checklist: c.path, Items: make([]Result, len(c.Items))}
	var wg sync.WaitGroup
	for i, it := range c.Items {
		wg.Go(func() { r.Items[i] = runItem(ctx, it, env) })
	}
	wg.Wait()
	r.finish(c.order)
	return r
}

func runItem(ctx context.Context, it Item, env *Env) Result {
	res := Result{Name: it.Name, Category: it.Category, Kind: it.Kind, Required: it.Required}
	start := time.Now()
	ictx, cancel := context.WithTimeout(ctx, it.Timeout)
	defer cancel()
	done := make(chan outcome, 1) // buffered: an abandoned check must not leak blocked
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- errored(fmt.Sprintf("the check panicked: %v", p))
			}
		}()
		done <- it.check.run(ictx, env)
	}()
	var out outcome
	select {
	case out = <-done:
	case <-ictx.Done():
		select {
		case out = <-done:
		case <-time.After(grace):
			out = errored(fmt.Sprintf("timed out after %s", it.Timeout))
		}
	}
	if ctx.Err() != nil && out.status != StatusPass {
		out = errored("interrupted: " + ctx.Err().Error())
	}
	res.Status, res.Reason, res.Evidence = out.status, out.reason, out.evidence
	res.DurationSeconds = time.Since(start).Seconds()
	return res
}
