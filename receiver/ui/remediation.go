package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/store"
)

// The remediation page (SlotRemediation): the runs grouped by what they
// need from people, each with what it would run or ran and its result,
// Approve and Reject on those awaiting approval, and the kill switch. Its
// forms post to the remediation API's own handlers (remediate.API with
// Forms set), as the incident page's do to the incidents API.

// Output shown per run: the list keeps pages small, a run's own page
// shows what the store holds (itself bounded by the action's
// max_output_bytes).
const (
	listOutputBytes = 2 << 10
	runOutputBytes  = 256 << 10
	listLimit       = 200
)

// Run is one remediation as the console shows it.
type Run struct {
	store.Remediation
	Req     action.Request
	Summary string
	Headers []KV // redacted where the name says credential
	Env     []KV
	Detail  []KV
	Report  *action.Report
	Output  string
	Cut     bool // Output was shortened here (or by the action)
	Links   []KV
	Attach  []Attachment
}

// KV is one name and value, in name order.
type KV struct{ K, V string }

// Attachment is one bounded capture of a run (diagnostics).
type Attachment struct {
	Name, Content string
	Cut           bool
}

// RunGroup is one section of the remediation page.
type RunGroup struct {
	Title, Class, Empty string
	Runs                []Run
}

type remediationBody struct {
	CSRF      string
	Return    string
	Control   store.RemediationControl
	Groups    []RunGroup
	Run       *Run
	State     string
	States    []string
	Incident  int64
	Error     string
	Awaiting  int
	ShowPause bool
}

// remediationStates are the ?state= filters, in the API's words.
var remediationStates = []store.RemediationState{store.RemediationAwaitingApproval, store.RemediationPlanned,
	store.RemediationRunning, store.RemediationUnknown, store.RemediationSucceeded, store.RemediationFailed,
	store.RemediationDryRun, store.RemediationRefused, store.RemediationRejected, store.RemediationExpired, store.RemediationSkipped}

// RemediationPage is the console page of remediation, reading rows from
// the store; its forms need remediate.API registered with Forms: u.
func (u *UI) RemediationPage() (Page, error) {
	rp, err := newRemediationPage(u)
	if err != nil {
		return Page{}, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/remediation", rp.list)
	mux.HandleFunc("GET /ui/remediation/{id}", rp.one)
	return Page{Slot: SlotRemediation, Handler: mux, Badge: rp.badge, Banner: rp.banner, Incident: rp.incident}, nil
}

type remediationPage struct {
	u *UI
	t *template.Template
}

func newRemediationPage(u *UI) (*remediationPage, error) {
	t, err := template.New("remediation").Funcs(funcs(u.o.Now)).Funcs(template.FuncMap{"duration": runDuration, "pair": pairRun}).
		ParseFS(templates, "templates/layout.html", "templates/part-remediation.html")
	if err != nil {
		return nil, err
	}
	return &remediationPage{u: u, t: t}, nil
}

func (rp *remediationPage) body(w http.ResponseWriter, r *http.Request, name string, b remediationBody) (template.HTML, bool) {
	b.CSRF = rp.u.CSRFToken(w, r)
	if b.Return == "" {
		b.Return = r.URL.Path
	}
	var buf bytes.Buffer
	if err := rp.t.ExecuteTemplate(&buf, name, b); err != nil {
		rp.u.o.Logger.Error("UI: rendering remediation", "template", name, "err", err)
		http.Error(w, "500 internal error", http.StatusInternalServerError)
		return "", false
	}
	return template.HTML(buf.String()), true //nolint:gosec // html/template's own escaped output
}

func (rp *remediationPage) list(w http.ResponseWriter, r *http.Request) {
	s := rp.u.o.Store
	f := store.RemediationFilter{Limit: listLimit}
	b := remediationBody{ShowPause: true, Return: r.URL.RequestURI()}
	for _, st := range remediationStates {
		b.States = append(b.States, string(st))
	}
	code := http.StatusOK
	if st := r.URL.Query().Get("state"); st != "" {
		if !slices.Contains(remediationStates, store.RemediationState(st)) {
			b.Error, code = fmt.Sprintf("state %q is not one of %v", st, remediationStates), http.StatusBadRequest
		} else {
			f.State, b.State = store.RemediationState(st), st
		}
	}
	var rows []store.Remediation
	var err error
	if b.Error == "" {
		if rows, err = s.ListRemediations(r.Context(), f); err == nil {
			b.Control, err = s.Control(r.Context())
		}
		if err != nil {
			rp.u.o.Logger.Error("UI: listing remediations", "err", err)
			b.Error, code = "storage unavailable, retry later", http.StatusServiceUnavailable
		}
	}
	b.Groups = groupRuns(rows, listOutputBytes)
	for _, g := range b.Groups {
		if g.Class == "awaiting" {
			b.Awaiting = len(g.Runs)
		}
	}
	body, ok := rp.body(w, r, "list", b)
	if ok {
		rp.u.Render(w, r, code, "Remediation", body)
	}
}

func (rp *remediationPage) one(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		rp.u.message(w, r, http.StatusBadRequest, "remediation id is not a positive number", SlotRemediation.Path)
		return
	}
	rem, err := rp.u.o.Store.Remediation(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		rp.u.message(w, r, http.StatusNotFound, "no such remediation", SlotRemediation.Path)
		return
	case err != nil:
		rp.u.o.Logger.Error("UI: reading remediation", "id", id, "err", err)
		rp.u.message(w, r, http.StatusServiceUnavailable, "storage unavailable, retry later", SlotRemediation.Path)
		return
	}
	run := viewRun(rem, runOutputBytes)
	body, ok := rp.body(w, r, "one", remediationBody{Run: &run})
	if ok {
		rp.u.Render(w, r, http.StatusOK, fmt.Sprintf("Remediation %d · %s", rem.ID, rem.Action), body)
	}
}

// incident is the incident page's section: that incident's runs.
func (rp *remediationPage) incident(w http.ResponseWriter, r *http.Request, id int64) template.HTML {
	rows, err := rp.u.o.Store.ListRemediations(r.Context(), store.RemediationFilter{IncidentID: id, Limit: listLimit})
	b := remediationBody{Incident: id, Return: fmt.Sprintf("/ui/incidents/%d", id)}
	if err != nil {
		rp.u.o.Logger.Warn("UI: listing the incident's remediations", "id", id, "err", err)
		b.Error = "remediations unavailable, retry later"
	}
	if len(rows) == 0 && err == nil {
		return ""
	}
	for _, rem := range rows {
		b.Groups = append(b.Groups, RunGroup{Runs: []Run{viewRun(rem, listOutputBytes)}})
	}
	body, _ := rp.body(w, r, "incident", b)
	return body
}

func (rp *remediationPage) badge(ctx context.Context) int {
	n, err := rp.u.o.Store.AwaitingApproval(ctx)
	if err != nil {
		rp.u.o.Logger.Warn("UI: counting remediations awaiting approval", "err", err)
	}
	return n
}

func (rp *remediationPage) banner(ctx context.Context) string {
	c, err := rp.u.o.Store.Control(ctx)
	if err != nil || !c.Paused {
		return ""
	}
	s := "Remediation is paused"
	if c.Actor != "" {
		s += " by " + c.Actor
	}
	if !c.At.IsZero() {
		s += " since " + c.At.Local().Format("2006-01-02 15:04 MST")
	}
	if c.Note != "" {
		s += ": " + c.Note
	}
	return s + ". Nothing new runs until it is resumed on the Remediation page."
}

// groupRuns sorts runs into what people must look at first: approvals,
// outcomes nobody knows, what is queued or running, then the rest.
func groupRuns(rows []store.Remediation, maxOutput int) []RunGroup {
	gs := []RunGroup{
		{Title: "Awaiting approval", Class: "awaiting", Empty: "Nothing awaits approval."},
		{Title: "Unknown outcome: check by hand", Class: "unknown", Empty: "None."},
		{Title: "Planned and running", Class: "active", Empty: "Nothing is queued or running."},
		{Title: "Done", Class: "done", Empty: "None yet."},
	}
	for _, rem := range rows {
		i := 3
		switch rem.State {
		case store.RemediationAwaitingApproval:
			i = 0
		case store.RemediationUnknown:
			i = 1
		case store.RemediationPlanned, store.RemediationRunning:
			i = 2
		}
		gs[i].Runs = append(gs[i].Runs, viewRun(rem, maxOutput))
	}
	return gs
}

// credentialName matches header and variable names whose values are
// secrets. Requests are stored without credentials (kinds add them at run
// time); this keeps a value a policy put in a header off the page anyway,
// as a last line.
var credentialName = regexp.MustCompile(`(?i)authorization|cookie|token|secret|passw|api[-_]?key|credential`)

func viewRun(rem store.Remediation, maxOutput int) Run {
	run := Run{Remediation: rem}
	if len(rem.Request) > 0 && json.Unmarshal(rem.Request, &run.Req) == nil {
		run.Summary = run.Req.Summary()
	}
	run.Headers = kvs(run.Req.Headers, true)
	run.Env = kvs(run.Req.Env, true)
	run.Detail = kvs(run.Req.Detail, false)
	if len(rem.Result) > 0 {
		var rep action.Report
		if json.Unmarshal(rem.Result, &rep) == nil {
			run.Report = &rep
			run.Output, run.Cut = bound(rep.Output, maxOutput)
			run.Cut = run.Cut || rep.Truncated
			run.Links = kvs(rep.Links, false)
			for _, a := range rep.Attachments {
				c, cut := bound(a.Content, maxOutput)
				run.Attach = append(run.Attach, Attachment{Name: a.Name, Content: c, Cut: cut || a.Truncated})
			}
		}
	}
	return run
}

func kvs(m map[string]string, redact bool) []KV {
	out := make([]KV, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		if redact && credentialName.MatchString(k) {
			v = "<redacted>"
		}
		out = append(out, KV{K: k, V: v})
	}
	return out
}

// bound cuts s to at most n bytes on a rune boundary.
func bound(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n], true
}

// runDuration is how long an attempt took, for the page.
func runDuration(rep *action.Report) string {
	if rep == nil || rep.Duration == 0 {
		return ""
	}
	return rep.Duration.Round(time.Millisecond).String()
}

// runArgs is what the run template needs: the run and the page's token
// and return path.
type runArgs struct {
	Run Run
	Top remediationBody
}

func pairRun(r any, top remediationBody) runArgs {
	switch r := r.(type) {
	case Run:
		return runArgs{Run: r, Top: top}
	case *Run:
		return runArgs{Run: *r, Top: top}
	}
	return runArgs{Top: top}
}
