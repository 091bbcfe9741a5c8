// Package oncall answers "who is on call at time t" from schedules with time
// zones, shifts that may wrap midnight, rotations and overrides.
//
// The default schedule is the runbook's (R5.4): a day shift 09:00-18:00 and a
// night shift for the rest of the day.
package oncall

import (
	"errors"
	"fmt"
	"github.com/prometheus/common/model"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/yamlx"
)

// ErrNobody means no shift or override covers the asked time.
var ErrNobody = errors.New("nobody is on call")

// Schedule is one on-call schedule in one time zone.
type Schedule struct {
	Name      string     `yaml:"name"`
	TimeZone  string     `yaml:"timezone"`
	Shifts    []Shift    `yaml:"shifts"`
	Overrides []Override `yaml:"overrides,omitempty"`

	loc *time.Location
}

// Shift is a daily window [Start, End) in the schedule's zone; End <= Start
// means the shift runs past midnight. Days limits the weekdays a shift starts
// on (empty: every day).
type Shift struct {
	Name     string    `yaml:"name"`
	Start    ClockTime `yaml:"start"`
	End      ClockTime `yaml:"end"`
	Days     []Weekday `yaml:"days,omitempty"`
	Rotation Rotation  `yaml:"rotation"`
}

// Rotation hands a shift to People in turn, switching every Every, counted
// from Anchor (a time in the schedule's zone).
type Rotation struct {
	People []string      `yaml:"people"`
	Every  time.Duration `yaml:"every,omitempty"`
	Anchor string        `yaml:"anchor,omitempty"`

	anchor time.Time
}

// Override puts Who on call for [Start, End), above any shift. Later
// overrides win over earlier ones when they overlap.
type Override struct {
	Who   string    `yaml:"who"`
	Start time.Time `yaml:"start"`
	End   time.Time `yaml:"end"`
}

// Assignment is the answer to Who.
type Assignment struct {
	Person   string
	Schedule string
	Shift    string // "override" for an override
}

// Default returns the runbook's schedule: day 09:00-18:00, night otherwise,
// each staffed by the named rota.
func Default(tz string, day, night []string) (*Schedule, error) {
	return TwoShifts(tz, 9*60, 18*60, day, night)
}

// TwoShifts is a day shift [dayStart, dayEnd) and a night shift for the rest
// of every day, each rota handing over weekly.
func TwoShifts(tz string, dayStart, dayEnd ClockTime, day, night []string) (*Schedule, error) {
	s := &Schedule{
		Name:     "default",
		TimeZone: tz,
		Shifts: []Shift{
			{Name: "day", Start: dayStart, End: dayEnd, Rotation: Rotation{People: day, Every: 7 * 24 * time.Hour}},
			{Name: "night", Start: dayEnd, End: dayStart, Rotation: Rotation{People: night, Every: 7 * 24 * time.Hour}},
		},
	}
	return s, s.init()
}

// UnmarshalYAML decodes and validates a schedule.
func (s *Schedule) UnmarshalYAML(value *yaml.Node) error {
	type plain Schedule
	if err := yamlx.DecodeStrict(value, (*plain)(s)); err != nil {
		return err
	}
	return s.init()
}

func (s *Schedule) init() error {
	if s.Name == "" {
		return errors.New("name: is required")
	}
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	s.loc = loc
	if len(s.Shifts) == 0 && len(s.Overrides) == 0 {
		return errors.New("shifts: at least one shift (or override) is required")
	}
	for i := range s.Shifts {
		if err := s.Shifts[i].init(loc); err != nil {
			return fmt.Errorf("shifts[%d].%w", i, err)
		}
	}
	for i, o := range s.Overrides {
		if o.Who == "" {
			return fmt.Errorf("overrides[%d].who: is required", i)
		}
		if !o.End.After(o.Start) {
			return fmt.Errorf("overrides[%d].end: must be after start", i)
		}
	}
	return nil
}

func (sh *Shift) init(loc *time.Location) error {
	if sh.Name == "" {
		return errors.New("name: is required")
	}
	if sh.Start == sh.End {
		return errors.New("end: equals start; use 00:00-24:00 for all day")
	}
	r := &sh.Rotation
	if len(r.People) == 0 {
		return errors.New("rotation.people: must name at least one person")
	}
	if r.Every < 0 || (r.Every > 0 && r.Every < time.Hour) {
		return fmt.Errorf("rotation.every: %s is shorter than 1h", model.Duration(r.Every))
	}
	if r.Every == 0 {
		r.Every = 7 * 24 * time.Hour
	}
	if r.Anchor == "" {
		// A Monday, so weekly rotations hand over on Mondays.
		r.anchor = time.Date(2024, time.January, 1, 0, 0, 0, 0, loc)
		return nil
	}
	a, err := time.ParseInLocation("2006-01-02T15:04", r.Anchor, loc)
	if err != nil {
		a, err = time.ParseInLocation("2006-01-02", r.Anchor, loc)
	}
	if err != nil {
		return fmt.Errorf("rotation.anchor: %q is not YYYY-MM-DD or YYYY-MM-DDTHH:MM", r.Anchor)
	}
	r.anchor = a
	return nil
}

// Who returns who is on call at t.
func (s *Schedule) Who(t time.Time) (Assignment, error) {
	for i := len(s.Overrides) - 1; i >= 0; i-- {
		o := s.Overrides[i]
		if !t.Before(o.Start) && t.Before(o.End) {
			return Assignment{Person: o.Who, Schedule: s.Name, Shift: "override"}, nil
		}
	}
	local := t.In(s.loc)
	for _, sh := range s.Shifts {
		if start, ok := sh.covering(local); ok {
			return Assignment{Person: sh.Rotation.at(start), Schedule: s.Name, Shift: sh.Name}, nil
		}
	}
	return Assignment{}, fmt.Errorf("schedule %q at %s: %w", s.Name, local.Format(time.RFC3339), ErrNobody)
}

// covering reports whether the shift covers local time t, and when the
// covering occurrence of the shift started.
func (sh Shift) covering(t time.Time) (time.Time, bool) {
	// A shift that wraps midnight may have started yesterday.
	for _, dayOffset := range []int{0, -1} {
		day := time.Date(t.Year(), t.Month(), t.Day()+dayOffset, 0, 0, 0, 0, t.Location())
		if !sh.onDay(day.Weekday()) {
			continue
		}
		start := sh.Start.On(day)
		end := sh.End.On(day)
		if !end.After(start) {
			end = sh.End.On(day.AddDate(0, 0, 1))
		}
		if !t.Before(start) && t.Before(end) {
			return start, true
		}
	}
	return time.Time{}, false
}

func (sh Shift) onDay(d time.Weekday) bool {
	if len(sh.Days) == 0 {
		return true
	}
	for _, w := range sh.Days {
		if time.Weekday(w) == d {
			return true
		}
	}
	return false
}

func (r Rotation) at(shiftStart time.Time) string {
	// Count wall-clock time in the schedule's zone, not elapsed time: across
	// a DST change a day has 23 or 25 hours, and a 24h rotation must still
	// hand over once per day at the shift's start.
	since := wallClock(shiftStart).Sub(wallClock(r.anchor))
	n := int64(since / r.Every)
	if since < 0 && since%r.Every != 0 {
		n-- // floor division for times before the anchor
	}
	i := n % int64(len(r.People))
	if i < 0 {
		i += int64(len(r.People))
	}
	return r.People[i]
}

// wallClock is t's date and time of day read as if in UTC, where every day
// has 24 hours.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// ClockTime is a time of day in minutes since midnight, written "HH:MM";
// "24:00" is allowed as an end.
type ClockTime int

// On returns the clock time on the given day (midnight in its zone).
func (c ClockTime) On(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, int(c), 0, 0, day.Location())
}

func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// UnmarshalYAML parses "HH:MM".
func (c *ClockTime) UnmarshalYAML(value *yaml.Node) error {
	var s string
	if err := yamlx.DecodeStrict(value, &s); err != nil {
		return err
	}
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || len(s) != 5 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return yamlx.Errorf(value, "", "%q is not a time of day HH:MM between 00:00 and 24:00", s)
	}
	*c = ClockTime(h*60 + m)
	return nil
}

// MarshalYAML writes "HH:MM".
func (c ClockTime) MarshalYAML() (any, error) { return c.String(), nil }

// Weekday is a day name in config: mon, tue, ... (or full names).
type Weekday time.Weekday

// UnmarshalYAML parses a day name.
func (w *Weekday) UnmarshalYAML(value *yaml.Node) error {
	var s string
	if err := yamlx.DecodeStrict(value, &s); err != nil {
		return err
	}
	s = strings.ToLower(s)
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			*w = Weekday(d)
			return nil
		}
	}
	return yamlx.Errorf(value, "", "%q is not one of mon, tue, wed, thu, fri, sat, sun", s)
}
