package incident

import (
	"time"

	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/store"
)

// SLAPolicy computes response and resolution deadlines per grade.
type SLAPolicy struct {
	targets map[store.Priority]config.Target
	week    config.Week
}

// NewSLAPolicy compiles the sla config.
func NewSLAPolicy(c config.SLA) (*SLAPolicy, error) {
	w, err := c.BusinessHours.Parse()
	if err != nil {
		return nil, err
	}
	return &SLAPolicy{targets: c.Targets, week: w}, nil
}

// Deadlines returns when a response and a resolution are due for an
// incident of grade p that started at from.
func (s *SLAPolicy) Deadlines(p store.Priority, from time.Time) (response, resolution time.Time) {
	t := s.targets[p]
	if t.BusinessHours {
		return AddBusinessTime(s.week, from, time.Duration(t.Response)), AddBusinessTime(s.week, from, time.Duration(t.Resolution))
	}
	return from.Add(time.Duration(t.Response)), from.Add(time.Duration(t.Resolution))
}

// AddBusinessTime returns the instant d of business time after from: the
// clock only runs on business days between start and end, in the week's
// time zone (so DST days are handled by the zone rules).
func AddBusinessTime(w config.Week, from time.Time, d time.Duration) time.Time {
	t := from.In(w.Loc)
	for range 3700 { // ten years of days: more than any SLA, and no endless loop
		y, m, day := t.Date()
		if w.Days[t.Weekday()] {
			open := time.Date(y, m, day, w.Start/60, w.Start%60, 0, 0, w.Loc)
			closing := time.Date(y, m, day, w.End/60, w.End%60, 0, 0, w.Loc)
			if t.Before(open) {
				t = open
			}
			if t.Before(closing) {
				left := closing.Sub(t)
				if d <= left {
					return t.Add(d)
				}
				d -= left
			}
		}
		t = time.Date(y, m, day+1, 0, 0, 0, 0, w.Loc)
	}
	return t
}
