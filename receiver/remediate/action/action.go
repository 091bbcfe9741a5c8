// Package action is the contract every remediation kind implements, and
// the helpers kinds share: label substitutions behind allow-lists and
// bounded output. It imports nothing of the receiver but the store types,
// so kinds (each its own package) and the policy engine (receiver/
// remediate) can both depend on it.
package action

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Action is one configured remediation of one kind. Plan renders, without
// I/O, exactly what an attempt would do for a trigger; the rendered
// Request is stored before anything runs, shown in the timeline and the
// API (dry runs and approval requests show nothing else), and handed to
// Run later, possibly by another replica. Run makes one attempt and says
// whether a failure is worth retrying.
type Action interface {
	// Plan renders the request for t. A label value that does not pass
	// its substitution's allow-list returns an error wrapping ErrRefused:
	// nothing runs, and the refusal is recorded.
	Plan(t Trigger) (Request, error)
	// Run makes one attempt of r within ctx. err == nil means the action
	// did what it says (a post-check, when configured, decides success
	// after it); otherwise retry says whether another attempt may succeed
	// (a 503, a refused connection) or not (exit status 1, a 400, a start
	// limit). The Report is recorded either way. Run must honour ctx and
	// must never put secrets in the Report or the error.
	Run(ctx context.Context, r Request) (rep Report, retry bool, err error)
	// Idempotent reports whether running r twice is harmless. After a
	// crash during an attempt, an idempotent action is run again; any
	// other is marked unknown and a person is asked.
	Idempotent() bool
}

// ErrRefused marks a plan that must not run (a label value outside its
// allow-list).
var ErrRefused = errors.New("refused")

// Trigger is the incident change an action is planned for.
type Trigger struct {
	IncidentID int64  `json:"incidentId"`
	Cycle      int    `json:"cycle"`
	Change     string `json:"change"` // opened, escalated, reopened
	Priority   string `json:"priority"`
	Title      string `json:"title"`
	Service    string `json:"service,omitempty"`
	URL        string `json:"url,omitempty"` // the incident in the UI
	// Labels are the incident's group labels over the labels of the
	// alert that caused the change. They are untrusted input: they reach
	// a request only through Substitutions.
	Labels map[string]string `json:"labels"`
}

// Request is what one attempt does, rendered at plan time. It holds no
// secret: credentials are added by Run from the kind's configuration.
type Request struct {
	Argv    []string          `json:"argv,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Method  string            `json:"method,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	// Detail holds what else a kind needs (a unit, a channel name).
	Detail map[string]string `json:"detail,omitempty"`
}

// Report is what one attempt did.
type Report struct {
	ExitCode   *int          `json:"exitCode,omitempty"`
	HTTPStatus int           `json:"httpStatus,omitempty"`
	Output     string        `json:"output,omitempty"` // bounded
	Truncated  bool          `json:"truncated,omitempty"`
	Duration   time.Duration `json:"durationNs"`
	// Links are URLs people follow (the war room).
	Links map[string]string `json:"links,omitempty"`
	// Attachments are bounded captures (diagnostics).
	Attachments []Attachment `json:"attachments,omitempty"`
	// Verify is the post-check's verdict, when one ran.
	Verify string `json:"verify,omitempty"`
}

// Attachment is one named, bounded capture.
type Attachment struct {
	Name      string `json:"name"`
	Content   string `json:"content"`
	Truncated bool   `json:"truncated,omitempty"`
}

// Summary is one line saying what r does, for timelines and lists:
// the argv (quoted where needed), or the method and URL, or the details.
func (r Request) Summary() string {
	switch {
	case len(r.Argv) > 0:
		parts := make([]string, len(r.Argv))
		for i, a := range r.Argv {
			parts[i] = a
			if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`;|&<>*?()[]{}") {
				parts[i] = strconv.Quote(a)
			}
		}
		return strings.Join(parts, " ")
	case r.Method != "":
		return r.Method + " " + r.URL
	}
	keys := slices.Sorted(maps.Keys(r.Detail))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+r.Detail[k])
	}
	return strings.Join(parts, " ")
}
