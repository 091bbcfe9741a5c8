package ui

import (
	"net/http"
	"slices"
	"time"

	"github.com/golive-ops/golive/receiver/oncall"
)

// Turn is one stretch of on-call: who, from which shift, from when.
type Turn struct {
	Person, Shift string
	From          time.Time
}

// ScheduleView is one schedule on the on-call page.
type ScheduleView struct {
	Name, TimeZone string
	Now            Turn
	Next           []Turn // the coming hand-overs, soonest first
	Overrides      []oncall.Override
}

type onCallPage struct {
	frame
	Schedules []ScheduleView
}

func (u *UI) serveOnCall(w http.ResponseWriter, r *http.Request) {
	now := u.o.Now()
	p := onCallPage{frame: u.frame(w, r, "On call", "On call")}
	for _, s := range u.o.Schedules {
		p.Schedules = append(p.Schedules, view(s, now, 3))
	}
	u.render(w, http.StatusOK, "oncall", p)
}

// horizon is how far ahead the page looks for hand-overs: a weekly rota
// hands over within it.
const horizon = 8 * 24 * time.Hour

func view(s *oncall.Schedule, now time.Time, n int) ScheduleView {
	v := ScheduleView{Name: s.Name, TimeZone: s.TimeZone}
	v.Now = turnAt(s, now)
	v.Next = handovers(s, now, n)
	for _, o := range s.Overrides {
		if o.End.After(now) {
			v.Overrides = append(v.Overrides, o)
		}
	}
	return v
}

func turnAt(s *oncall.Schedule, t time.Time) Turn {
	a, err := s.Who(t)
	if err != nil {
		return Turn{Person: "nobody", From: t}
	}
	return Turn{Person: a.Person, Shift: a.Shift, From: t}
}

// handovers returns the next n times the person or shift on call changes
// after now. Who changes only where a shift or an override starts or ends
// (a rotation picks its person at the shift's start), so those are the
// only instants to ask about.
func handovers(s *oncall.Schedule, now time.Time, n int) []Turn {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	local := now.In(loc)
	var at []time.Time
	for d := -1; d <= int(horizon/(24*time.Hour)); d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, loc)
		for _, sh := range s.Shifts {
			at = append(at, sh.Start.On(day), sh.End.On(day))
		}
	}
	for _, o := range s.Overrides {
		at = append(at, o.Start, o.End)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	at = slices.CompactFunc(at, func(a, b time.Time) bool { return a.Equal(b) })
	var out []Turn
	prev := turnAt(s, now)
	for _, t := range at {
		if !t.After(now) || t.After(now.Add(horizon)) {
			continue
		}
		cur := turnAt(s, t)
		if cur.Person != prev.Person || cur.Shift != prev.Shift {
			out = append(out, cur)
			if len(out) == n {
				break
			}
		}
		prev = cur
	}
	return out
}

// SchedulesOf returns the schedules an on-call source answers from, if it
// says (incident.ScheduleOnCall does).
func SchedulesOf(src any) []*oncall.Schedule {
	if s, ok := src.(interface{ Schedules() []*oncall.Schedule }); ok {
		return s.Schedules()
	}
	return nil
}
