package ui

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/receiver/oncall"
	"github.com/golive-ops/golive/receiver/store"
)

var t0 = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC) // a Monday

func open(id int64, p store.Priority, opened time.Time, resp, resol time.Duration) store.Incident {
	return store.Incident{ID: id, Priority: p, State: store.StateNew, OpenedAt: opened,
		ResponseDue: opened.Add(resp), ResolutionDue: opened.Add(resol)}
}

func TestCountdown(t *testing.T) {
	inc := open(1, store.P0, t0, 15*time.Minute, 4*time.Hour)
	acked := inc
	acked.State, acked.AcknowledgedAt = store.StateAcknowledged, t0.Add(5*time.Minute)
	breached := inc
	breached.ResponseBreachedAt = t0.Add(15 * time.Minute)
	resolved := inc
	resolved.State = store.StateResolved
	cases := []struct {
		name      string
		inc       store.Incident
		at        time.Duration
		kind, cls string
		text      string
	}{
		{"fresh", inc, time.Minute, "response", slaOK, "14m to response"},
		{"a quarter of the window left is still fine", inc, 11*time.Minute + 15*time.Second, "response", slaOK, "3m to response"},
		{"under a quarter left is amber", inc, 11*time.Minute + 16*time.Second, "response", slaNear, "3m to response"},
		{"at the deadline it is missed", inc, 15 * time.Minute, "response", slaMissed, "response missed 0s ago"},
		{"past it", inc, 20 * time.Minute, "response", slaMissed, "response missed 5m ago"},
		{"marked breached", breached, 16 * time.Minute, "response", slaMissed, "response missed 1m ago"},
		{"acknowledged: the resolution clock", acked, 20 * time.Minute, "resolution", slaOK, "3h 40m to resolution"},
		{"acknowledged, near resolution", acked, 3*time.Hour + 30*time.Minute, "resolution", slaNear, "30m to resolution"},
		{"resolved: no countdown", resolved, time.Hour, "", slaDone, ""},
	}
	for _, c := range cases {
		got := countdown(c.inc, t0.Add(c.at))
		if got.Kind != c.kind || got.Class != c.cls || got.Text != c.text {
			t.Errorf("%s: %+v, want %s %s %q", c.name, got, c.kind, c.cls, c.text)
		}
	}
}

func TestTriageOrder(t *testing.T) {
	now := t0.Add(time.Hour)
	incs := []store.Incident{
		open(1, store.P3, t0, 4*time.Hour, 72*time.Hour),
		open(2, store.P1, t0.Add(50*time.Minute), 30*time.Minute, 8*time.Hour), // 20m left
		open(3, store.P0, t0.Add(55*time.Minute), 15*time.Minute, 4*time.Hour), // 10m left
		open(4, store.P1, t0.Add(40*time.Minute), 30*time.Minute, 8*time.Hour), // 10m left
		open(5, store.P0, t0, 15*time.Minute, 4*time.Hour),                     // missed 45m ago
		{ID: 6, Priority: store.P1, State: store.StateNew, OpenedAt: t0},       // no deadline
	}
	var ids []int64
	for _, r := range triage(incs, now) {
		ids = append(ids, r.ID)
	}
	want := []int64{5, 3, 4, 2, 6, 1}
	if len(ids) != len(want) {
		t.Fatalf("order = %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("order = %v, want %v", ids, want)
		}
	}
}

func TestApprox(t *testing.T) {
	for d, want := range map[time.Duration]string{45 * time.Second: "45s", 12 * time.Minute: "12m",
		65 * time.Minute: "1h 05m", 27 * time.Hour: "1d 3h", -90 * time.Second: "1m"} {
		if got := approx(d); got != want {
			t.Errorf("approx(%s) = %q, want %q", d, got, want)
		}
	}
}

func schedule(t *testing.T, src string) *oncall.Schedule {
	t.Helper()
	var s oncall.Schedule
	if err := yaml.Unmarshal([]byte(src), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestHandovers(t *testing.T) {
	s := schedule(t, `
name: ops
timezone: Europe/Berlin
shifts:
  - {name: day, start: "09:00", end: "18:00", rotation: {people: [ann, bob], every: 24h, anchor: "2025-03-03"}}
  - {name: night, start: "18:00", end: "09:00", rotation: {people: [cem]}}
overrides:
  - {who: dana, start: 2025-03-03T20:00:00+01:00, end: 2025-03-03T22:00:00+01:00}
`)
	now := time.Date(2025, 3, 3, 12, 0, 0, 0, time.FixedZone("CET", 3600)) // Monday noon in Berlin
	v := view(s, now, 4)
	if v.Now.Person != "ann" || v.Now.Shift != "day" {
		t.Fatalf("now = %+v, want ann on the day shift", v.Now)
	}
	want := []struct {
		who, shift string
		at         string
	}{
		{"cem", "night", "2025-03-03T18:00:00+01:00"},
		{"dana", "override", "2025-03-03T20:00:00+01:00"},
		{"cem", "night", "2025-03-03T22:00:00+01:00"},
		{"bob", "day", "2025-03-04T09:00:00+01:00"},
	}
	if len(v.Next) != len(want) {
		t.Fatalf("next = %+v", v.Next)
	}
	for i, w := range want {
		at, _ := time.Parse(time.RFC3339, w.at)
		if n := v.Next[i]; n.Person != w.who || n.Shift != w.shift || !n.From.Equal(at) {
			t.Errorf("hand-over %d = %s (%s) at %s, want %s (%s) at %s", i, n.Person, n.Shift, n.From, w.who, w.shift, at)
		}
	}
	if len(v.Overrides) != 1 || v.Overrides[0].Who != "dana" {
		t.Errorf("overrides = %+v", v.Overrides)
	}
	// After the override ended it is no longer listed.
	if v := view(s, now.Add(11*time.Hour), 1); len(v.Overrides) != 0 {
		t.Errorf("a past override is listed: %+v", v.Overrides)
	}
}

func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"/ui/incidents/3":          "/ui/incidents/3",
		"/ui?state=new&done=note":  "/ui?state=new",
		"":                         "/ui",
		"//evil.example/ui":        "/ui",
		"https://evil.example/ui":  "/ui",
		"/\\evil.example":          "/ui",
		"/api/v1/incidents":        "/ui",
		"/ui\r\nSet-Cookie: x=y":   "/ui",
		"/ui/../../etc/passwd%00x": "/ui/../../etc/passwd%00x", // a path on us; the mux cleans it
	} {
		if got := safeReturn(in, "/ui"); got != want {
			t.Errorf("safeReturn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLinks(t *testing.T) {
	if got := httpURL("javascript:alert(1)"); got != "" {
		t.Errorf("httpURL kept %q", got)
	}
	if got := httpURL("https://runbooks.example/x"); got != "https://runbooks.example/x" {
		t.Errorf("httpURL dropped a good link: %q", got)
	}
	got := matchers(map[string]string{"alertname": "ServiceDown", "instance": `web-1"x`})
	if got != `{alertname="ServiceDown", instance="web-1\"x"}` {
		t.Errorf("matchers = %s", got)
	}
	inc := store.Incident{OpenedAt: t0}
	g := grafanaLink("http://grafana:3000/d/golive-overview?orgId=1", inc, store.Occurrence{Labels: map[string]string{"instance": "web-1:9100"}}, t0.Add(time.Hour))
	for _, part := range []string{"orgId=1", "from=1740992400000", "to=1740999600000", "var-instance=web-1%3A9100"} {
		if !strings.Contains(g, part) {
			t.Errorf("grafana link %s lacks %s", g, part)
		}
	}
}

func TestTimelineSaysWhatHappened(t *testing.T) {
	evs := []store.Event{
		{At: t0, Kind: store.EventOpened, Actor: "system", Data: map[string]any{"groupKey": "alertname=X"}},
		{At: t0.Add(time.Minute), Kind: store.EventTransition, Actor: "alice", From: "new", To: "acknowledged", Note: "on it"},
		{At: t0.Add(3 * time.Minute), Kind: store.EventSLABreached, Actor: "system", Note: "resolution deadline missed", Data: map[string]any{"kind": "resolution"}},
		{At: t0.Add(4 * time.Minute), Kind: store.EventAssigned, Actor: "alice", From: "night-shift", To: "bob"},
		{At: t0.Add(31 * time.Second), Kind: "notification_sent", Actor: "system", Data: map[string]any{"channel": "ops-slack", "event": "opened", "attempts": 1}},
		{At: t0.Add(2 * time.Minute), Kind: "notification_failed", Actor: "system", Note: "554 rejected", Data: map[string]any{"channel": "mail", "event": "acknowledged", "attempts": 5}},
	}
	outbox := []store.OutboxItem{{CreatedAt: t0.Add(30 * time.Second), Kind: "opened", Channel: "ops-slack", DoneAt: t0.Add(31 * time.Second)},
		{CreatedAt: t0.Add(time.Minute), Kind: "acknowledged", Channel: "mail", Failed: true, Attempts: 5, LastError: "554 rejected", DoneAt: t0.Add(2 * time.Minute)},
		{CreatedAt: t0.Add(5 * time.Minute), Kind: "resolved", Channel: "ops-slack", Attempts: 2, LastError: "503"}}
	var got []string
	for _, e := range timeline(evs, outbox) {
		got = append(got, e.Actor+": "+e.What+" | "+e.Detail+" | "+e.Note)
	}
	want := []string{
		"system: Opened | group alertname=X | ",
		`system: Notification "opened" sent to ops-slack |  | `,
		"alice: Acknowledged | new → acknowledged | on it",
		`system: Notification "acknowledged" to mail failed | gave up after attempt 5 | 554 rejected`,
		"system: Resolution deadline missed |  | ",
		"alice: Assigned to bob | was night-shift | ",
		`system: Notification "resolved" to ops-slack | retrying (attempt 2 failed: 503) | `,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
