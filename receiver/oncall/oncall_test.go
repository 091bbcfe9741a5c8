package oncall

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDefaultDayAndNightShifts(t *testing.T) {
	s, err := Default("Asia/Shanghai", []string{"alice"}, []string{"nina"})
	if err != nil {
		t.Fatal(err)
	}
	sh := mustLoc(t, "Asia/Shanghai")
	cases := []struct {
		at        time.Time
		who, shft string
	}{
		{time.Date(2026, 11, 23, 8, 59, 59, 0, sh), "nina", "night"},
		{time.Date(2026, 11, 23, 9, 0, 0, 0, sh), "alice", "day"},
		{time.Date(2026, 11, 23, 17, 59, 0, 0, sh), "alice", "day"},
		{time.Date(2026, 11, 23, 18, 0, 0, 0, sh), "nina", "night"},
		{time.Date(2026, 11, 24, 2, 0, 0, 0, sh), "nina", "night"},
		// The same instant written in UTC: 01:30 UTC is 09:30 in Shanghai.
		{time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC), "alice", "day"},
	}
	for _, c := range cases {
		a, err := s.Who(c.at)
		if err != nil {
			t.Fatalf("%s: %v", c.at, err)
		}
		if a.Person != c.who || a.Shift != c.shft {
			t.Errorf("%s: got %s/%s, want %s/%s", c.at, a.Person, a.Shift, c.who, c.shft)
		}
	}
}

const rotating = `
name: ops
timezone: Europe/Berlin
shifts:
  - name: day
    start: "09:00"
    end: "18:00"
    days: [mon, tue, wed, thu, fri]
    rotation: {people: [alice, bob], every: 168h, anchor: "2026-11-02"}
  - name: night
    start: "18:00"
    end: "09:00"
    rotation: {people: [carol, dave, erin], every: 24h, anchor: "2026-11-02T18:00"}
overrides:
  - {who: frank, start: 2026-11-25T10:00:00+01:00, end: 2026-11-25T12:00:00+01:00}
`

func TestRotationsWeekdaysAndOverrides(t *testing.T) {
	var s Schedule
	if err := yaml.Unmarshal([]byte(rotating), &s); err != nil {
		t.Fatal(err)
	}
	be := mustLoc(t, "Europe/Berlin")
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, be) }
	cases := []struct {
		at        time.Time
		who, shft string
	}{
		{at(2, 10, 0), "alice", "day"},    // anchor week
		{at(9, 10, 0), "bob", "day"},      // next week
		{at(16, 10, 0), "alice", "day"},   // wraps back
		{at(2, 19, 0), "carol", "night"},  // anchor night
		{at(3, 8, 0), "carol", "night"},   // same night, after midnight
		{at(3, 18, 0), "dave", "night"},   // next night
		{at(4, 18, 30), "erin", "night"},  // third
		{at(5, 18, 30), "carol", "night"}, // wraps
		{at(25, 11, 0), "frank", "override"},
		// The override's end is exclusive. The week of the 23rd is three
		// weeks after the anchor: index 3 % 2 = 1.
		{at(25, 12, 0), "bob", "day"},
	}
	for _, c := range cases {
		a, err := s.Who(c.at)
		if err != nil {
			t.Fatalf("%s: %v", c.at, err)
		}
		if a.Person != c.who || a.Shift != c.shft {
			t.Errorf("%s: got %s/%s, want %s/%s", c.at.Format(time.RFC3339), a.Person, a.Shift, c.who, c.shft)
		}
	}
	// Saturday daytime has no day shift (weekdays only) and the night shift
	// does not cover it either: nobody.
	if _, err := s.Who(at(28, 12, 0)); !errors.Is(err, ErrNobody) {
		t.Errorf("Saturday noon: err = %v, want ErrNobody", err)
	}
}

func TestRotationBeforeAnchorStaysInRange(t *testing.T) {
	s, err := Default("UTC", []string{"a", "b", "c"}, []string{"n"})
	if err != nil {
		t.Fatal(err)
	}
	// Long before the default anchor: floor division must keep the index valid
	// and keep weekly hand-overs on the same weekday.
	for d := 0; d < 30; d++ {
		at := time.Date(2019, 3, 1+d, 12, 0, 0, 0, time.UTC)
		if _, err := s.Who(at); err != nil {
			t.Fatalf("%s: %v", at, err)
		}
	}
	mon := time.Date(2019, 3, 4, 10, 0, 0, 0, time.UTC) // a Monday
	a1, _ := s.Who(mon.AddDate(0, 0, -1))               // Sunday: previous week
	a2, _ := s.Who(mon)
	a3, _ := s.Who(mon.AddDate(0, 0, 6))
	if a1.Person == a2.Person || a2.Person != a3.Person {
		t.Errorf("hand-over not on Monday: sun=%s mon=%s next-sun=%s", a1.Person, a2.Person, a3.Person)
	}
}

func TestInvalidSchedules(t *testing.T) {
	cases := map[string]string{
		"name: x\ntimezone: Mars/Base\nshifts: [{name: d, start: '09:00', end: '18:00', rotation: {people: [a]}}]": "timezone",
		"name: x\nshifts: [{name: d, start: '9am', end: '18:00', rotation: {people: [a]}}]":                        "time of day",
		"name: x\nshifts: [{name: d, start: '09:00', end: '09:00', rotation: {people: [a]}}]":                      "end: equals start",
		"name: x\nshifts: [{name: d, start: '09:00', end: '18:00', rotation: {people: []}}]":                       "rotation.people",
		"name: x\nshifts: [{name: d, start: '09:00', end: '18:00', days: [funday], rotation: {people: [a]}}]":      `"funday" is not one of mon`,
		"name: x\nshifts: [{name: d, start: '09:00', end: '18:00', rotation: {people: [a], every: 1m}}]":           "rotation.every: 1m is shorter than 1h",
		"shifts: [{name: d, start: '09:00', end: '18:00', rotation: {people: [a]}}]":                               "name: is required",
	}
	for in, want := range cases {
		var s Schedule
		err := yaml.Unmarshal([]byte(in), &s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to mention %q", in, err, want)
		}
	}
}

// Rotations hand over at the same wall-clock time across DST changes: a
// night shift anchored at its 18:00 start keeps one person per night when
// Berlin springs forward (2026-03-29, a 23-hour day) and falls back
// (2026-10-25, a 25-hour day); the weekly day shift hands over on Mondays.
func TestRotationsKeepWallClockAcrossDST(t *testing.T) {
	var s Schedule
	err := yaml.Unmarshal([]byte(`
name: ops
timezone: Europe/Berlin
shifts:
  - {name: day, start: "09:00", end: "12:00", rotation: {people: [alice, bob], every: 168h, anchor: "2026-03-23T09:00"}}
  - {name: night, start: "18:00", end: "09:00", rotation: {people: [carol, dave, erin], every: 24h, anchor: "2026-03-27T18:00"}}
`), &s)
	if err != nil {
		t.Fatal(err)
	}
	be := mustLoc(t, "Europe/Berlin")
	at := func(m, d, h int) time.Time { return time.Date(2026, time.Month(m), d, h, 30, 0, 0, be) }
	cases := []struct {
		at  time.Time
		who string
	}{
		{at(3, 27, 19), "carol"},
		{at(3, 28, 19), "dave"},
		{at(3, 29, 19), "erin"}, // the night after the 23-hour day
		{at(3, 30, 19), "carol"},
		{at(3, 31, 8), "carol"}, // same night, after midnight
		{at(10, 24, 19), "dave"},
		{at(10, 25, 19), "erin"}, // the night after the 25-hour day
		{at(10, 26, 19), "carol"},
		{at(3, 23, 9), "alice"},
		{at(3, 30, 9), "bob"}, // the Monday after spring forward
		{at(4, 6, 9), "alice"},
	}
	for _, c := range cases {
		a, err := s.Who(c.at)
		if err != nil {
			t.Fatalf("%s: %v", c.at, err)
		}
		if a.Person != c.who {
			t.Errorf("%s: got %s (%s), want %s", c.at.Format(time.RFC3339), a.Person, a.Shift, c.who)
		}
	}
}
