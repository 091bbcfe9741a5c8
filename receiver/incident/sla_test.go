package incident

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/postgres"
	"github.com/golive-ops/golive/receiver/store/postgres/pgtest"
)

func TestSLABreaches(t *testing.T) {
	f := newFixture(t, nil)
	var breaches []string
	f.engine.o.OnBreach = func(p store.Priority, kind string) { breaches = append(breaches, string(p)+"/"+kind) }
	f.ingest(peerA, "", firing("f1", "ServiceDown", t0, web, "0")) // P0: 15m / 4h
	id := f.only().ID
	ctx := context.Background()
	check := func(after time.Duration, want int) {
		t.Helper()
		f.clock.t = t0.Add(after)
		n, err := f.engine.CheckSLA(ctx)
		if err != nil || n != want {
			t.Fatalf("CheckSLA at +%s = %d (%v), want %d", after, n, err, want)
		}
	}
	check(14*time.Minute, 0)
	check(15*time.Minute, 1) // due is inclusive
	check(16*time.Minute, 0) // marked once
	inc := f.only()
	if inc.ResponseBreachedAt != t0.Add(15*time.Minute) || !inc.ResolutionBreachedAt.IsZero() {
		t.Fatalf("incident = %+v", inc)
	}
	if _, err := f.engine.Transition(ctx, id, store.StateAcknowledged, Action{Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	check(4*time.Hour+time.Second, 1)
	check(5*time.Hour, 0)
	if !slices.Equal(breaches, []string{"P0/response", "P0/resolution"}) {
		t.Fatalf("breach callbacks = %v", breaches)
	}
	want := []string{
		fmt.Sprintf("incident/%d/cycle/1/opened/test", id),
		fmt.Sprintf("incident/%d/cycle/1/sla_breach/response/test", id),
		fmt.Sprintf("incident/%d/cycle/1/acknowledged/test", id),
		fmt.Sprintf("incident/%d/cycle/1/sla_breach/resolution/test", id),
	}
	if got := f.outboxKeys(); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	if tl := f.timeline(id); slices.Index(tl, store.EventSLABreached) < 0 {
		t.Fatalf("no sla_breached event in %v", tl)
	}
}

// An acknowledged incident met its response target; a resolved one both.
func TestNoBreachAfterResponse(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(peerA, "", firing("f1", "ServiceDown", t0, web, "0"))
	f.ingest(peerA, "", firing("f2", "PostgresDown", t0, map[string]string{"service": "postgresql"}, "0"))
	incs := f.incidents()
	ctx := context.Background()
	f.engine.Transition(ctx, incs[0].ID, store.StateAcknowledged, Action{Actor: "a"})
	f.engine.Transition(ctx, incs[1].ID, store.StateResolved, Action{Actor: "a"})
	f.clock.t = t0.Add(time.Hour)
	if n, err := f.engine.CheckSLA(ctx); err != nil || n != 0 {
		t.Fatalf("CheckSLA = %d (%v), want no breach", n, err)
	}
}

func TestP3DeadlinesCountBusinessHours(t *testing.T) {
	f := newFixture(t, nil)
	fri := time.Date(2025, 3, 7, 16, 0, 0, 0, time.UTC) // Friday 16:00
	f.clock.t = fri
	f.ingest(peerA, "", firing("f1", "HostMemoryUsageHigh", fri, map[string]string{"instance": "h"}, "0.95"))
	inc := f.only()
	// 4h of business time: Fri 16-18 (2h) + Mon 09-11 (2h).
	if want := time.Date(2025, 3, 10, 11, 0, 0, 0, time.UTC); inc.Priority != store.P3 || !inc.ResponseDue.Equal(want) {
		t.Fatalf("P3 response due %v, want %v", inc.ResponseDue, want)
	}
	// 72h: Fri 2h, then 7 full 9h days (Mon 10 … Tue 18) and 7h on Wed 19 (16:00).
	if want := time.Date(2025, 3, 19, 16, 0, 0, 0, time.UTC); !inc.ResolutionDue.Equal(want) {
		t.Fatalf("P3 resolution due %v, want %v", inc.ResolutionDue, want)
	}
}

func TestAddBusinessTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal("tzdata is needed (Debian: apt-get install tzdata):", err)
	}
	w, err := config.BusinessHours{TimeZone: "Europe/Berlin", Start: "09:00", End: "17:00", Days: []string{"mon", "tue", "wed", "thu", "fri"}}.Parse()
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, berlin) }
	cases := []struct {
		name string
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"inside the day", at(2025, 3, 4, 10, 0), time.Hour, at(2025, 3, 4, 11, 0)},
		{"before opening", at(2025, 3, 4, 6, 0), time.Hour, at(2025, 3, 4, 10, 0)},
		{"exactly to closing", at(2025, 3, 4, 16, 0), time.Hour, at(2025, 3, 4, 17, 0)},
		{"over the night", at(2025, 3, 4, 16, 0), 2 * time.Hour, at(2025, 3, 5, 10, 0)},
		{"after closing", at(2025, 3, 4, 20, 0), 30 * time.Minute, at(2025, 3, 5, 9, 30)},
		{"weekend", at(2025, 3, 8, 12, 0), time.Hour, at(2025, 3, 10, 10, 0)},
		{"across DST (Mar 30)", at(2025, 3, 28, 16, 0), 2 * time.Hour, at(2025, 3, 31, 10, 0)},
		{"zero", at(2025, 3, 8, 12, 0), 0, at(2025, 3, 10, 9, 0)},
	}
	for _, c := range cases {
		if got := AddBusinessTime(w, c.from, c.d); !got.Equal(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestScheduleOnCall(t *testing.T) {
	s, err := NewScheduleOnCall(config.OnCall{TimeZone: "UTC", DayStart: "09:00", DayEnd: "18:00", Day: "d", Night: "n"})
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[int]string{0: "n", 8: "n", 9: "d", 17: "d", 18: "n", 23: "n"} {
		if got, _ := s.Who(context.Background(), time.Date(2025, 3, 3, h, 30, 0, 0, time.UTC), store.P0); got != want {
			t.Errorf("%02d:30 → %s, want %s", h, got, want)
		}
	}
}

// Two receiver replicas on one PostgreSQL: the HA peers' copies race to
// different replicas, and each SLA breach is marked by one replica only.
func TestReplicasOnPostgres(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	schema := pgtest.Schema(t, dsn)
	open := func() store.Store {
		s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	f := newFixture(t, open())
	g := *f
	g.store = open()
	other := g.newEngine()
	concurrentPeers(t, f, f.engine, other)

	f.clock.t = t0.Add(time.Hour)
	done := make(chan int, 2)
	for _, e := range []*Engine{f.engine, other} {
		go func() {
			n, err := e.CheckSLA(context.Background())
			if err != nil {
				t.Error(err)
			}
			done <- n
		}()
	}
	if n := <-done + <-done; n != 1 {
		t.Fatalf("replicas marked %d response breaches, want exactly 1", n)
	}
}
