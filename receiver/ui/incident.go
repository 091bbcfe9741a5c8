package ui

import (
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/store"
)

// Deadline is one SLA target on the incident page.
type Deadline struct {
	Kind     string
	Due      time.Time
	Met      time.Time // when it was met (acknowledged / resolved), if it was
	Breached time.Time
	SLA      Countdown // while it is still running
}

// Links are where the incident page sends people for more.
type Links struct {
	Runbook, Prometheus, Silence, Grafana string
}

// Context is the alert's own words and links, from its newest occurrence.
type Context struct {
	Summary, Description string
	Links
}

// Entry is one line of the timeline: what happened, in words.
type Entry struct {
	At     time.Time
	Actor  string
	What   string
	Detail string
	Note   string
	Class  string
}

// Action is one button of the incident page.
type Action struct {
	Label, State, Done string
	Primary            bool
}

type incidentPage struct {
	frame
	Incident    store.Incident
	SLA         Countdown
	Deadlines   []Deadline
	Context     Context
	Occurrences []store.Occurrence
	Timeline    []Entry
	Actions     []Action
	Open        bool
	Priorities  []store.Priority
	Flash       string
	// Sections are added pages' parts of the incident page.
	Sections []template.HTML
}

// doneMessages are the only flash messages a page shows: a link cannot put
// words of its own on the page.
var doneMessages = map[string]string{
	"acknowledged": "Acknowledged.", "in_progress": "Work started.", "resolved": "Resolved.", "closed": "Closed.",
	"note": "Note added.", "priority": "Priority changed.", "assigned": "Assignee changed.", "saved": "Saved.",
	"approved": "Remediation approved: it is queued to run.", "rejected": "Remediation rejected.",
	"paused": "Remediation paused: nothing new runs until it is resumed.", "resumed": "Remediation resumed.",
}

func (u *UI) serveIncident(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.message(w, r, http.StatusBadRequest, "incident id is not a positive number", "/ui")
		return
	}
	d, err := api.LoadDetail(r.Context(), u.o.Store, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u.message(w, r, http.StatusNotFound, errNotFound.Error(), "/ui")
		return
	case err != nil:
		u.o.Logger.Error("UI: loading incident", "id", id, "err", err)
		u.message(w, r, http.StatusServiceUnavailable, "storage unavailable, retry later", "/ui")
		return
	}
	// The outbox says which channel each notification went to.
	outbox, err := u.o.Store.Outbox(r.Context(), id)
	if err != nil {
		u.o.Logger.Warn("UI: reading notifications", "id", id, "err", err)
	}
	now := u.o.Now()
	inc := d.Incident
	p := incidentPage{frame: u.frame(w, r, fmt.Sprintf("#%d %s", inc.ID, inc.Title), ""), Incident: inc,
		SLA: countdown(inc, now), Occurrences: d.Occurrences, Open: inc.State.Open(), Priorities: store.Priorities,
		Flash: doneMessages[r.URL.Query().Get("done")]}
	p.Deadlines = deadlines(inc, now)
	p.Context = u.alertContext(inc, d.Occurrences, now)
	p.Timeline = timeline(d.Timeline, outbox)
	p.Actions = actions(inc.State)
	for _, pg := range u.extra {
		if pg.Incident != nil {
			if sec := pg.Incident(w, r, inc.ID); sec != "" {
				p.Sections = append(p.Sections, sec)
			}
		}
	}
	u.render(w, http.StatusOK, "incident", p)
}

func deadlines(inc store.Incident, now time.Time) []Deadline {
	resp := Deadline{Kind: "response", Due: inc.ResponseDue, Met: inc.AcknowledgedAt, Breached: inc.ResponseBreachedAt}
	resol := Deadline{Kind: "resolution", Due: inc.ResolutionDue, Met: inc.ResolvedAt, Breached: inc.ResolutionBreachedAt}
	if resol.Met.IsZero() {
		resol.Met = inc.ClosedAt
	}
	out := []Deadline{resp, resol}
	for i := range out {
		dl := &out[i]
		if dl.Met.IsZero() && inc.State.Open() && !dl.Due.IsZero() {
			left := dl.Due.Sub(now)
			dl.SLA = Countdown{Kind: dl.Kind, Due: dl.Due, Window: dl.Due.Sub(inc.OpenedAt), Left: left}
			switch {
			case !dl.Breached.IsZero() || left <= 0:
				dl.SLA.Class, dl.SLA.Text = slaMissed, "missed "+approx(-left)+" ago"
			case left < dl.SLA.Window/4:
				dl.SLA.Class, dl.SLA.Text = slaNear, approx(left)+" left"
			default:
				dl.SLA.Class, dl.SLA.Text = slaOK, approx(left)+" left"
			}
		}
	}
	return out
}

// alertContext reads summary, description and links from the newest
// occurrence that has them.
func (u *UI) alertContext(inc store.Incident, occs []store.Occurrence, now time.Time) Context {
	var c Context
	if len(occs) == 0 {
		return c
	}
	sorted := slices.Clone(occs)
	slices.SortStableFunc(sorted, func(a, b store.Occurrence) int { return b.StartsAt.Compare(a.StartsAt) })
	pick := func(keys ...string) string {
		for _, o := range sorted {
			for _, k := range keys {
				if v := strings.TrimSpace(o.Annotations[k]); v != "" {
					return v
				}
			}
		}
		return ""
	}
	c.Summary = pick("summary", "message")
	c.Description = pick("description")
	c.Runbook = httpURL(pick("runbook_url", "runbook"))
	newest := sorted[0]
	for _, o := range sorted {
		if c.Prometheus == "" {
			c.Prometheus = httpURL(o.GeneratorURL)
		}
	}
	if am := u.o.Config.AlertmanagerURL; am != "" {
		c.Silence = strings.TrimRight(am, "/") + "/#/silences/new?filter=" + url.QueryEscape(matchers(newest.Labels))
	}
	if g := u.o.Config.GrafanaURL; g != "" {
		c.Grafana = grafanaLink(g, inc, newest, now)
	}
	return c
}

// httpURL keeps http(s) links only: annotation text comes from whoever
// writes alert rules, and a javascript: link must not become a button.
func httpURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// matchers writes labels as an Alertmanager matcher list, as its own UI
// pre-fills a new silence: {alertname="X", instance="y"}.
func matchers(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+strconv.Quote(labels[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// grafanaLink opens the configured dashboard over the incident's time
// (from an hour before it opened to its end, or now) on its instance.
func grafanaLink(base string, inc store.Incident, o store.Occurrence, now time.Time) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	q := u.Query()
	end := now
	if !inc.ResolvedAt.IsZero() {
		end = inc.ResolvedAt.Add(30 * time.Minute)
	}
	q.Set("from", strconv.FormatInt(inc.OpenedAt.Add(-time.Hour).UnixMilli(), 10))
	q.Set("to", strconv.FormatInt(end.UnixMilli(), 10))
	for _, l := range []string{"instance", "job"} {
		if v := o.Labels[l]; v != "" {
			q.Set("var-"+l, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// actions are the lifecycle buttons the incident's state allows, the
// usual next step first.
func actions(s store.State) []Action {
	ack := Action{Label: "Acknowledge", State: string(store.StateAcknowledged), Done: "acknowledged"}
	start := Action{Label: "Start work", State: string(store.StateInProgress), Done: "in_progress"}
	resolve := Action{Label: "Resolve", State: string(store.StateResolved), Done: "resolved"}
	closeA := Action{Label: "Close", State: string(store.StateClosed), Done: "closed"}
	var out []Action
	switch s {
	case store.StateNew:
		out = []Action{ack, start, resolve}
	case store.StateAcknowledged:
		out = []Action{start, resolve}
	case store.StateInProgress:
		out = []Action{resolve}
	case store.StateResolved:
		out = []Action{closeA}
	}
	if len(out) > 0 {
		out[0].Primary = true
	}
	return out
}

// timeline lists the incident's events, oldest first, each said in
// words, with the notifications still waiting in the outbox at the end
// (delivered and failed ones are events of their own).
func timeline(evs []store.Event, outbox []store.OutboxItem) []Entry {
	out := make([]Entry, 0, len(evs)+len(outbox))
	for _, e := range evs {
		out = append(out, describe(e))
	}
	for _, o := range outbox {
		if !o.DoneAt.IsZero() {
			continue
		}
		en := Entry{At: o.CreatedAt, Actor: store.SystemActor, What: fmt.Sprintf("Notification %q to %s", o.Kind, o.Channel), Class: "ev-notify"}
		if o.Attempts > 0 {
			en.Detail = fmt.Sprintf("retrying (attempt %d failed: %s)", o.Attempts, o.LastError)
		} else {
			en.Detail = "queued"
		}
		out = append(out, en)
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.At.Compare(b.At) })
	return out
}

// The notify worker's events (receiver/notify).
const (
	eventNotificationSent   store.EventKind = "notification_sent"
	eventNotificationFailed store.EventKind = "notification_failed"
)

var transitions = map[string]string{
	"acknowledged": "Acknowledged", "in_progress": "Started work", "resolved": "Resolved", "closed": "Closed", "new": "Reopened",
}

func describe(e store.Event) Entry {
	en := Entry{At: e.At, Actor: e.Actor, Note: e.Note}
	str := func(k string) string {
		if v, ok := e.Data[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	switch e.Kind {
	case store.EventOpened:
		en.What, en.Class = "Opened", "ev-open"
		if g := str("groupKey"); g != "" {
			en.Detail = "group " + g
		}
	case store.EventReopened:
		en.What, en.Class = "Reopened: fired again within the reopen window", "ev-open"
		if c := str("cycle"); c != "" {
			en.Detail = "cycle " + c
		}
	case store.EventOccurrenceFiring:
		en.What, en.Class = "Alert "+str("alertname")+" firing", "ev-alert"
		en.Detail = "fingerprint " + str("fingerprint")
	case store.EventOccurrenceResolved:
		en.What, en.Class = "Alert "+str("alertname")+" resolved", "ev-ok"
		en.Detail = "fingerprint " + str("fingerprint")
	case store.EventGraded:
		en.What = "Graded " + e.To + " by rule " + str("rule")
	case store.EventPriorityRaised:
		en.What, en.Class = "Priority raised "+e.From+" → "+e.To, "ev-alert"
		if r := str("rule"); r != "" && r != "manual" {
			en.Detail = "rule " + r
		}
	case store.EventPriorityLowered:
		en.What = "Priority lowered " + e.From + " → " + e.To
	case store.EventTransition:
		en.What = transitions[e.To]
		if en.What == "" {
			en.What = e.From + " → " + e.To
		}
		en.Detail = e.From + " → " + e.To
		if e.To == string(store.StateResolved) || e.To == string(store.StateClosed) {
			en.Class = "ev-ok"
		}
	case store.EventAutoResolved:
		en.What, en.Class = "Resolved automatically", "ev-ok"
	case store.EventNote:
		en.What = "Note"
	case store.EventSLABreached:
		en.What, en.Class = capitalize(str("kind")+" deadline missed"), "ev-bad"
		en.Note = ""
		if due := str("due"); due != "" {
			en.Detail = "due " + due
		}
	case eventNotificationSent:
		en.What, en.Class = fmt.Sprintf("Notification %q sent to %s", str("event"), str("channel")), "ev-notify"
		if a := str("attempts"); a != "" && a != "1" {
			en.Detail = "attempt " + a
		}
	case eventNotificationFailed:
		en.What, en.Class = fmt.Sprintf("Notification %q to %s failed", str("event"), str("channel")), "ev-bad"
		if a := str("attempts"); a != "" {
			en.Detail = "gave up after attempt " + a
		}
	case store.EventAssigned:
		en.What = "Assigned to " + e.To
		if e.From != "" {
			en.Detail = "was " + e.From
		}
	default:
		en.What = string(e.Kind)
		if verb, ok := strings.CutPrefix(string(e.Kind), "remediation_"); ok {
			en.What, en.Class = "Remediation "+strings.ReplaceAll(verb, "_", " "), remediationClass[verb]
			if a := str("action"); a != "" {
				en.What = "Remediation " + a + ": " + strings.ReplaceAll(verb, "_", " ")
			}
		}
	}
	return en
}

// remediationClass colours the remediation steps of the timeline.
var remediationClass = map[string]string{"succeeded": "ev-ok", "failed": "ev-bad", "unknown": "ev-bad",
	"awaiting_approval": "ev-alert", "refused": "ev-bad", "escalated": "ev-notify"}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
