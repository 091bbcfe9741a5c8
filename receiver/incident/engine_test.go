package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/webhook"
)

const (
	peerA = "http://alertmanager-0:9093"
	peerB = "http://alertmanager-1:9093"
)

var web = map[string]string{"service": "web"}

func TestNewIncidentIsGradedAssignedAndNotified(t *testing.T) {
	f := newFixture(t, nil)
	res := f.ingest(peerA, "", firing("fp1", "HTTPErrorRateHigh", t0.Add(-time.Minute), web, "0.62"))
	if res.New != 1 || len(res.Changes) != 1 || res.Changes[0].Kind != ChangeOpened {
		t.Fatalf("result %+v, want one new occurrence opening an incident", res)
	}
	inc := f.only()
	if inc.Priority != store.P0 || inc.State != store.StateNew || inc.GradeReason.Rule != "error-rate-above-50pct" ||
		inc.Service != "web" || inc.Title != "HTTPErrorRateHigh / web" || inc.Assignee != "day-shift" {
		t.Fatalf("incident = %+v", inc)
	}
	if !inc.ResponseDue.Equal(t0.Add(15*time.Minute)) || !inc.ResolutionDue.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("P0 deadlines = %v / %v, want +15m / +4h", inc.ResponseDue, inc.ResolutionDue)
	}
	want := []store.EventKind{store.EventOpened, store.EventGraded, store.EventAssigned, store.EventOccurrenceFiring}
	if got := f.timeline(inc.ID); !slices.Equal(got, want) {
		t.Fatalf("timeline = %v, want %v", got, want)
	}
	if keys := f.outboxKeys(); !slices.Equal(keys, []string{fmt.Sprintf("incident/%d/cycle/1/opened/test", inc.ID)}) {
		t.Fatalf("outbox = %v", keys)
	}
}

// Replays, the other HA peer's copy, retries and repeat notifications
// never create a second occurrence, incident or notification.
func TestIdempotentIngest(t *testing.T) {
	f := newFixture(t, nil)
	a := firing("fp1", "ServiceDown", t0.Add(-time.Minute), web, "0")
	f.ingest(peerA, "", a)
	for _, send := range []struct {
		name, peer, reason string
	}{
		{"replay", peerA, ""},
		{"HA peer", peerB, ""},
		{"repeat interval", peerA, webhook.RepeatReason},
		{"repeat from peer", peerB, webhook.RepeatReason},
	} {
		res := f.ingest(send.peer, send.reason, a)
		if res.New != 0 || res.Duplicates != 1 || len(res.Changes) != 0 {
			t.Fatalf("%s: %+v, want a no-op", send.name, res)
		}
	}
	f.only()
	if n := len(f.outboxKeys()); n != 1 {
		t.Fatalf("%d outbox items, want 1", n)
	}
	if got := f.rec.kinds(); !slices.Equal(got, []ChangeKind{ChangeOpened}) {
		t.Fatalf("the post-grading stage saw %v, want only the first opening", got)
	}
}

// Both HA peers deliver at the same time to the same store (or to two
// replicas on one PostgreSQL): still one incident, one notification.
func TestConcurrentPeersOneIncident(t *testing.T) {
	f := newFixture(t, nil)
	concurrentPeers(t, f, f.engine)
}

func concurrentPeers(t *testing.T, f *fixture, engines ...*Engine) {
	alerts := func(i int) []webhookAlert {
		return []webhookAlert{firing(fmt.Sprint("fp", i), "ServiceDown", t0.Add(-time.Minute), map[string]string{"service": "web", "instance": fmt.Sprint("h", i)}, "0")}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		for j, peer := range []string{peerA, peerB} {
			e := engines[(i+j)%len(engines)]
			wg.Go(func() {
				m, raw := msg(peer, "", alerts(i)...)
				if _, err := e.Ingest(context.Background(), m, raw); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	inc := f.only()
	occs, _ := f.store.Occurrences(context.Background(), inc.ID)
	if len(occs) != 20 {
		t.Fatalf("%d occurrences, want 20", len(occs))
	}
	if keys := f.outboxKeys(); len(keys) != 1 {
		t.Fatalf("outbox = %v, want one opened notification", keys)
	}
}

// Resolved payloads may come twice, late or before the firing one.
func TestOutOfOrderResolve(t *testing.T) {
	f := newFixture(t, nil)
	a := firing("fp1", "HostCPUUsageHigh", t0.Add(-10*time.Minute), map[string]string{"instance": "db1"}, "0.97")
	r := resolved(a, t0.Add(-time.Minute))
	f.ingest(peerA, "", r) // the resolve first
	inc := f.only()
	if inc.State != store.StateResolved || inc.Priority != store.P1 {
		t.Fatalf("incident from a resolve-only payload: %+v, want a resolved P1", inc)
	}
	for _, late := range []webhookAlert{a, r} {
		if res := f.ingest(peerB, "", late); res.New+res.Resolved != 0 || len(res.Changes) != 0 {
			t.Fatalf("late %s changed something: %+v", late.Status, res)
		}
	}
	if got := f.only(); got.State != store.StateResolved {
		t.Fatalf("a late firing reopened the incident: %+v", got)
	}
}

func TestAutoResolveWhenAllOccurrencesEnd(t *testing.T) {
	f := newFixture(t, nil)
	a := firing("fa", "ServiceDown", t0, map[string]string{"service": "web", "instance": "a"}, "0")
	b := firing("fb", "ServiceDown", t0, map[string]string{"service": "web", "instance": "b"}, "0")
	f.ingest(peerA, "", a, b)
	f.clock.Add(time.Minute)
	f.ingest(peerA, "", resolved(a, t0.Add(time.Minute)), b)
	if inc := f.only(); inc.State != store.StateNew {
		t.Fatalf("resolved with one occurrence still firing: %+v", inc)
	}
	f.ingest(peerA, "", resolved(a, t0.Add(time.Minute)), resolved(b, t0.Add(2*time.Minute)))
	inc := f.only()
	if inc.State != store.StateResolved || !inc.ResolvedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("incident = %+v, want auto-resolved", inc)
	}
	f.ingest(peerB, "", resolved(a, t0.Add(time.Minute)), resolved(b, t0.Add(2*time.Minute)))
	if got := f.rec.kinds(); !slices.Equal(got, []ChangeKind{ChangeOpened, ChangeResolved}) {
		t.Fatalf("changes = %v", got)
	}
	tl := f.timeline(inc.ID)
	if tl[len(tl)-1] != store.EventAutoResolved {
		t.Fatalf("timeline = %v, want it to end with auto_resolved", tl)
	}
}

func TestFlappingReopensWithinWindow(t *testing.T) {
	f := newFixture(t, nil)
	first := firing("fp", "ServiceDown", t0, web, "0")
	f.ingest(peerA, "", first)
	f.ingest(peerA, "", resolved(first, t0.Add(time.Minute)))
	f.clock.Add(10 * time.Minute)
	again := firing("fp", "ServiceDown", t0.Add(10*time.Minute), web, "0") // same alert, new startsAt
	f.ingest(peerA, "", again)
	inc := f.only()
	if inc.State != store.StateNew || inc.Cycle != 2 || !inc.ResponseDue.Equal(t0.Add(25*time.Minute)) {
		t.Fatalf("incident = %+v, want reopened in cycle 2 with fresh deadlines", inc)
	}
	f.ingest(peerA, "", resolved(again, t0.Add(11*time.Minute)))
	f.clock.Add(2 * time.Hour) // beyond the 30m window
	f.ingest(peerA, "", firing("fp", "ServiceDown", t0.Add(2*time.Hour), web, "0"))
	incs := f.incidents()
	if len(incs) != 2 || incs[0].State != store.StateNew || incs[1].State != store.StateResolved {
		t.Fatalf("after the window: %+v, want a new incident next to the resolved one", incs)
	}
	want := []ChangeKind{ChangeOpened, ChangeResolved, ChangeReopened, ChangeResolved, ChangeOpened}
	if got := f.rec.kinds(); !slices.Equal(got, want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}
}

func TestGradeIsRaisedNeverLowered(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(peerA, "", firing("f1", "HTTPErrorRateHigh", t0, web, "0.06"))
	if inc := f.only(); inc.Priority != store.P2 {
		t.Fatalf("priority %s, want P2", inc.Priority)
	}
	f.clock.Add(5 * time.Minute)
	f.ingest(peerA, "", firing("f2", "HTTPErrorRateHigh", t0.Add(5*time.Minute), web, "0.7"))
	inc := f.only()
	if inc.Priority != store.P0 || inc.GradeReason.Fingerprint != "f2" || !inc.ResponseDue.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("after escalation: %+v, want P0 due 15m after the raise", inc)
	}
	f.ingest(peerA, "", firing("f3", "HTTPErrorRateHigh", t0.Add(6*time.Minute), web, "0.06"))
	if inc := f.only(); inc.Priority != store.P0 {
		t.Fatalf("a lower grade lowered the incident to %s", inc.Priority)
	}
	if got := f.rec.kinds(); !slices.Equal(got, []ChangeKind{ChangeOpened, ChangeEscalated}) {
		t.Fatalf("changes = %v", got)
	}
	// A person may lower it, but not silently.
	_, err := f.engine.SetPriority(context.Background(), inc.ID, store.P2, Action{Actor: "alice"})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("lowering without a note: %v, want ErrInvalid", err)
	}
	got, err := f.engine.SetPriority(context.Background(), inc.ID, store.P2, Action{Actor: "alice", Note: "only the canary"})
	if err != nil || got.Priority != store.P2 {
		t.Fatalf("lowering with a note: %+v, %v", got, err)
	}
	// Escalating to P0 again in the same cycle is a new change that people
	// must hear about, not a duplicate of the first escalation.
	f.clock.Add(time.Minute)
	f.ingest(peerA, "", firing("f4", "HTTPErrorRateHigh", t0.Add(7*time.Minute), web, "0.8"))
	if inc := f.only(); inc.Priority != store.P0 {
		t.Fatalf("after the second escalation: %s, want P0", inc.Priority)
	}
	escalations := 0
	for _, k := range f.outboxKeys() {
		if strings.Contains(k, "/escalated/") {
			escalations++
		}
	}
	if escalations != 2 {
		t.Fatalf("outbox = %v, want two escalation notifications", f.outboxKeys())
	}
}

func TestLifecycle(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(peerA, "", firing("f1", "ServiceDown", t0, web, "0"))
	id := f.only().ID
	ctx := context.Background()
	step := func(to store.State) error {
		_, err := f.engine.Transition(ctx, id, to, Action{Actor: "alice", Note: "step " + string(to)})
		return err
	}
	var te *TransitionError
	if err := step(store.StateClosed); !errors.As(err, &te) || err.Error() != "incident 1 is new and cannot move to closed (allowed: acknowledged, in_progress, resolved)" {
		t.Fatalf("new → closed: %v", err)
	}
	for _, to := range []store.State{store.StateAcknowledged, store.StateInProgress, store.StateResolved, store.StateClosed} {
		f.clock.Add(time.Minute)
		if err := step(to); err != nil {
			t.Fatalf("→ %s: %v", to, err)
		}
	}
	if err := step(store.StateAcknowledged); !errors.As(err, &te) || te.From != store.StateClosed {
		t.Fatalf("closed → acknowledged: %v, want a TransitionError", err)
	}
	_, err := f.engine.SetPriority(ctx, id, store.P3, Action{Actor: "alice", Note: "minor after all"})
	if !errors.As(err, &te) || err.Error() != "incident 1 is closed: its priority can change only while it is open" {
		t.Fatalf("regrading a closed incident: %v, want a TransitionError saying why", err)
	}
	if _, err := f.engine.Transition(ctx, id, store.StateResolved, Action{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no actor: %v, want ErrInvalid", err)
	}
	if _, err := f.engine.Transition(ctx, 999, store.StateResolved, Action{Actor: "a"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown incident: %v", err)
	}
	inc := f.only()
	if inc.AcknowledgedAt != t0.Add(time.Minute) || inc.ResolvedAt != t0.Add(3*time.Minute) || inc.ClosedAt != t0.Add(4*time.Minute) {
		t.Fatalf("timestamps = %+v", inc)
	}
	evs, _ := f.store.Timeline(ctx, id)
	var moves []string
	for _, e := range evs {
		if e.Kind == store.EventTransition {
			if e.Actor != "alice" || e.Note == "" {
				t.Fatalf("transition without actor or note: %+v", e)
			}
			moves = append(moves, e.From+">"+e.To)
		}
	}
	want := []string{"new>acknowledged", "acknowledged>in_progress", "in_progress>resolved", "resolved>closed"}
	if !slices.Equal(moves, want) {
		t.Fatalf("transitions = %v, want %v", moves, want)
	}
	// A closed incident's group firing again opens a new incident.
	f.ingest(peerA, "", firing("f1", "ServiceDown", t0.Add(5*time.Minute), web, "0"))
	if n := len(f.incidents()); n != 2 {
		t.Fatalf("%d incidents, want a new one after close", n)
	}
}

func TestNote(t *testing.T) {
	f := newFixture(t, nil)
	f.ingest(peerA, "", firing("f1", "ServiceDown", t0, web, "0"))
	id := f.only().ID
	if _, err := f.engine.AddNote(context.Background(), id, Action{Actor: "bob", Note: "restarted nginx"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.AddNote(context.Background(), id, Action{Actor: "bob"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty note: %v", err)
	}
	tl := f.timeline(id)
	if tl[len(tl)-1] != store.EventNote {
		t.Fatalf("timeline = %v", tl)
	}
}

type webhookAlert = template.Alert

// One incident's notifications to one channel share an ordering key (the
// job worker then delivers them in order); another incident's differ.
func TestNotificationsOfAnIncidentShareAnOrderingKey(t *testing.T) {
	f := newFixture(t, nil)
	a := firing("fa", "ServiceDown", t0, map[string]string{"service": "web", "instance": "a"}, "0")
	b := firing("fb", "ServiceDown", t0, map[string]string{"service": "db", "instance": "b"}, "0")
	f.ingest(peerA, "", a, b)
	f.clock.Add(time.Minute)
	f.ingest(peerA, "", resolved(a, t0.Add(time.Minute)))
	items, err := f.store.Outbox(context.Background(), 0)
	if err != nil || len(items) != 3 {
		t.Fatalf("outbox = %+v (%v), want two opened and one resolved", items, err)
	}
	byIncident := map[int64][]string{}
	for _, it := range items {
		if it.Queue != store.QueueNotify || it.OrderingKey != fmt.Sprintf("incident/%d/test", it.IncidentID) {
			t.Errorf("item %s: queue %q, ordering key %q", it.Key, it.Queue, it.OrderingKey)
		}
		byIncident[it.IncidentID] = append(byIncident[it.IncidentID], it.Kind)
	}
	if len(byIncident) != 2 {
		t.Fatalf("items by incident = %v", byIncident)
	}
}
