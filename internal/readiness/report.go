// Package readiness is `golive readiness`: the runbook's go-live checklist
// (DESIGN R1) as automated checks and signed-off manual items, evaluated
// concurrently into one report.
//
// Automated items run the exporter's own probers and collectors in-process
// (exporter/prober, exporter/collector/...), configured with the exporter's
// module and server syntax, so "ready" means what monitoring will see.
// Monitoring-stack items ask Prometheus, Alertmanager, Grafana and the
// receiver; manual items read their sign-offs from the receiver.
//
// The three outcomes follow the Nagios/InSpec convention: ready (exit 0),
// not ready (1: a required item failed, or a required sign-off is missing
// or expired) and could not evaluate (2: a bad checklist, or a required
// check errored or timed out). A definite failure beats an error: a report
// with both is not ready.
package readiness

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is one item's outcome.
type Status string

// The statuses, in the order the text output lists them (worst first).
const (
	// StatusFail: the item was checked and is not ready.
	StatusFail Status = "fail"
	// StatusError: the item could not be checked (timeout, unreachable
	// server, bad answer); readiness is unknown.
	StatusError Status = "error"
	// StatusPending: a manual item nobody has signed off yet.
	StatusPending Status = "pending"
	// StatusWarn: ready, with something to act on soon (a certificate
	// expiring within the warning window).
	StatusWarn Status = "warn"
	// StatusPass: ready.
	StatusPass Status = "pass"
)

var statusOrder = []Status{StatusFail, StatusError, StatusPending, StatusWarn, StatusPass}

// rank orders statuses worst first.
func (s Status) rank() int { return slices.Index(statusOrder, s) }

// OK reports whether the status counts as passing (warnings pass).
func (s Status) OK() bool { return s == StatusPass || s == StatusWarn }

// Result is one item's outcome in a report.
type Result struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	Kind     string `json:"kind"`
	Required bool   `json:"required"`
	Status   Status `json:"status"`
	// Reason says why, in a sentence (empty for a plain pass).
	Reason string `json:"reason,omitempty"`
	// Evidence is what was seen (status code, days left, lag, who signed).
	Evidence        string  `json:"evidence,omitempty"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// Report is one evaluation of a checklist: what `--output json` prints and
// what the receiver stores.
type Report struct {
	Ready       bool      `json:"ready"`
	GeneratedAt time.Time `json:"generated_at"`
	// Checklist is the file the report was made from.
	Checklist string   `json:"checklist,omitempty"`
	Items     []Result `json:"items"`
}

// Outcome is the report's overall verdict and exit code.
type Outcome int

// Outcomes, as exit codes.
const (
	Ready          Outcome = 0
	NotReady       Outcome = 1
	CannotEvaluate Outcome = 2
)

// Outcome decides the report: a required failure (or a missing or expired
// required sign-off) is not ready; otherwise a required error is cannot
// evaluate; with failOnWarning any warning of a required item is not
// ready. Items that are not required never change the outcome.
func (r *Report) Outcome(failOnWarning bool) Outcome {
	out := Ready
	for _, it := range r.Items {
		if !it.Required {
			continue
		}
		switch {
		case it.Status == StatusFail || it.Status == StatusPending:
			return NotReady
		case it.Status == StatusError:
			out = CannotEvaluate
		case it.Status == StatusWarn && failOnWarning && out == Ready:
			out = NotReady
		}
	}
	return out
}

// finish sets Ready and sorts the items the way people read them: by
// category in checklist order, failures first within each.
func (r *Report) finish(categories []string) {
	r.Ready = r.Outcome(false) == Ready
	slices.SortStableFunc(r.Items, func(a, b Result) int {
		if c := slices.Index(categories, a.Category) - slices.Index(categories, b.Category); c != 0 {
			return c
		}
		return a.Status.rank() - b.Status.rank()
	})
}

// Failing lists the required items that keep the report from being ready,
// "name: reason", for gate reasons and summaries.
func (r *Report) Failing() []string {
	var out []string
	for _, it := range r.Items {
		if it.Required && !it.Status.OK() {
			reason := it.Reason
			if reason == "" {
				reason = string(it.Status)
			}
			out = append(out, fmt.Sprintf("%s: %s", it.Name, reason))
		}
	}
	return out
}

// Summary is one line: "ready: 21 passed, 1 warning" or "not ready: ...".
func (r *Report) Summary() string {
	counts := map[Status]int{}
	for _, it := range r.Items {
		counts[it.Status]++
	}
	var parts []string
	for _, s := range []struct {
		st   Status
		word string
	}{{StatusPass, "passed"}, {StatusWarn, "warning"}, {StatusFail, "failed"}, {StatusError, "errored"}, {StatusPending, "pending sign-off"}} {
		if n := counts[s.st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s.word))
		}
	}
	verdict := map[Outcome]string{Ready: "ready", NotReady: "not ready", CannotEvaluate: "could not evaluate"}[r.Outcome(false)]
	return verdict + ": " + strings.Join(parts, ", ")
}

// Signoff is one manual item's sign-off as the receiver stores it.
type Signoff struct {
	ID        int64     `json:"id,omitempty"`
	Item      string    `json:"item"`
	By        string    `json:"by"`
	Comment   string    `json:"comment"`
	SignedAt  time.Time `json:"signed_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Expired reports whether the sign-off no longer counts at now.
func (s Signoff) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }

// ChannelTest is the receiver's record of `golive notify test` for one
// notification channel.
type ChannelTest struct {
	Channel string `json:"channel"`
	// Configured is whether the receiver's config has the channel now.
	Configured bool `json:"configured"`
	// LastSuccess is the newest successful test (zero: never).
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastAttempt and LastError are the newest test, passed or not.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}
