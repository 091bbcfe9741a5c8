package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/store"
)

// SLA states of a countdown: the class the page and console.js give it.
const (
	slaOK     = "sla-ok"
	slaNear   = "sla-near"   // amber: less than a quarter of the time left
	slaMissed = "sla-missed" // red
	slaDone   = "sla-done"   // the incident is no longer open
)

// Countdown is the deadline that matters now for an incident: the response
// deadline until someone acknowledges it, then the resolution deadline.
type Countdown struct {
	Kind   string // response, resolution, or "" when none applies
	Due    time.Time
	Window time.Duration // from opening to the deadline
	Left   time.Duration // negative once missed
	Class  string
	Text   string
}

func countdown(inc store.Incident, now time.Time) Countdown {
	if !inc.State.Open() {
		return Countdown{Class: slaDone}
	}
	c := Countdown{Kind: "resolution", Due: inc.ResolutionDue}
	missed := !inc.ResolutionBreachedAt.IsZero()
	if inc.AcknowledgedAt.IsZero() {
		c.Kind, c.Due, missed = "response", inc.ResponseDue, !inc.ResponseBreachedAt.IsZero()
	}
	if c.Due.IsZero() {
		return Countdown{Class: slaOK}
	}
	c.Window, c.Left = c.Due.Sub(inc.OpenedAt), c.Due.Sub(now)
	switch {
	case missed || c.Left <= 0:
		c.Class, c.Text = slaMissed, c.Kind+" missed "+approx(-c.Left)+" ago"
	case c.Left < c.Window/4:
		c.Class, c.Text = slaNear, approx(c.Left)+" to "+c.Kind
	default:
		c.Class, c.Text = slaOK, approx(c.Left)+" to "+c.Kind
	}
	return c
}

// approx writes a duration the way people say it at 3 a.m.: 45s, 12m,
// 1h 05m, 3d 4h.
func approx(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	if now.Sub(t) < 0 {
		return "in " + approx(t.Sub(now))
	}
	return approx(now.Sub(t)) + " ago"
}

// Row is one incident of the triage view.
type Row struct {
	store.Incident
	SLA Countdown
}

// PriorityCount is one badge of the counts bar.
type PriorityCount struct {
	Priority store.Priority
	Count    int
	Link     string
}

type triagePage struct {
	frame
	Rows     []Row
	Counts   []PriorityCount
	States   []stateOption
	Prios    []stateOption
	Service  string
	OpenOnly bool
	Error    string
	Now      time.Time
}

type stateOption struct {
	Value   string
	Checked bool
}

// openStates is the triage view's default filter.
var openStates = []store.State{store.StateNew, store.StateAcknowledged, store.StateInProgress}

func (u *UI) serveTriage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := u.o.Now()
	f, err := api.ParseFilter(q)
	openOnly := len(f.States) == 0
	if openOnly {
		f.States = openStates
	}
	title := "Triage"
	if !openOnly {
		title = "Incidents"
	}
	p := triagePage{frame: u.frame(w, r, title, ""), Service: q.Get("service"), OpenOnly: openOnly, Now: now}
	if openOnly {
		p.Nav[0].Active = true
	} else {
		p.Nav[1].Active = true
	}
	p.Refresh = int(u.o.Config.RefreshEvery().Seconds())
	for _, s := range store.States {
		p.States = append(p.States, stateOption{Value: string(s), Checked: slices.Contains(f.States, s)})
	}
	for _, pr := range store.Priorities {
		p.Prios = append(p.Prios, stateOption{Value: string(pr), Checked: slices.Contains(f.Priorities, pr)})
	}
	code := http.StatusOK
	var incs []store.Incident
	if err != nil {
		p.Error, code, p.Refresh = err.Error(), http.StatusBadRequest, 0
	} else if incs, err = u.o.Store.ListIncidents(r.Context(), f); err != nil {
		u.o.Logger.Error("UI: listing incidents", "err", err)
		p.Error, code = "storage unavailable; this page retries by itself", http.StatusServiceUnavailable
	}
	p.Rows = triage(incs, now)
	counts := map[store.Priority]int{}
	for _, row := range p.Rows {
		counts[row.Priority]++
	}
	for _, pr := range store.Priorities {
		v := url.Values{"priority": {string(pr)}}
		for _, s := range f.States {
			if !openOnly {
				v.Add("state", string(s))
			}
		}
		if p.Service != "" {
			v.Set("service", p.Service)
		}
		p.Counts = append(p.Counts, PriorityCount{Priority: pr, Count: counts[pr], Link: "/ui?" + v.Encode()})
	}
	u.render(w, code, "triage", p)
}

// triage orders incidents by priority, then by time left on the deadline
// that matters now (missed first), then oldest first.
func triage(incs []store.Incident, now time.Time) []Row {
	rows := make([]Row, len(incs))
	for i, inc := range incs {
		rows[i] = Row{Incident: inc, SLA: countdown(inc, now)}
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		if d := a.Priority.Rank() - b.Priority.Rank(); d != 0 {
			return d
		}
		if a.SLA.Due.IsZero() != b.SLA.Due.IsZero() {
			if a.SLA.Due.IsZero() {
				return 1
			}
			return -1
		}
		if c := a.SLA.Due.Compare(b.SLA.Due); c != 0 {
			return c
		}
		return a.OpenedAt.Compare(b.OpenedAt)
	})
	return rows
}

func funcs(now func() time.Time) template.FuncMap {
	return template.FuncMap{
		"abs": func(t time.Time) string {
			if t.IsZero() {
				return "–"
			}
			return t.Local().Format("2006-01-02 15:04:05 MST")
		},
		"iso": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"ago":    func(t time.Time) string { return ago(t, now()) },
		"approx": approx,
		"ms":     func(d time.Duration) int64 { return d.Milliseconds() },
		"state":  stateLabel,
		"lower":  strings.ToLower,
	}
}

// stateLabel is how a state reads on a page.
func stateLabel(s any) string {
	return strings.ReplaceAll(fmt.Sprint(s), "_", " ") // in progress, awaiting approval
}
