package incident

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/sqlite"
	"github.com/golive-ops/golive/receiver/webhook"
)

// t0 is a Monday 10:00 UTC.
var t0 = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// recorder is a Stage that remembers what reached the stage and
// enqueues every change on channel "test".
type recorder struct {
	mu      sync.Mutex
	changes []Change
	next    OutboxNotifier
}

func (r *recorder) Run(ctx context.Context, tx store.Tx, cs []Change) error {
	r.mu.Lock()
	r.changes = append(r.changes, cs...)
	r.mu.Unlock()
	return r.next.Run(ctx, tx, cs)
}

func (r *recorder) kinds() []ChangeKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ChangeKind
	for _, c := range r.changes {
		out = append(out, c.Kind)
	}
	return out
}

type fixture struct {
	t      *testing.T
	store  store.Store
	engine *Engine
	clock  *clock
	rec    *recorder
	cfg    config.Config
}

func testConfig() config.Config {
	c := config.Default()
	c.Auth.Disabled = true
	c.SLA.BusinessHours.TimeZone = "UTC"
	c.OnCall.TimeZone = "UTC"
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

func newFixture(t *testing.T, s store.Store) *fixture {
	t.Helper()
	if s == nil {
		var err error
		s, err = sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
	}
	f := &fixture{t: t, store: s, clock: &clock{t: t0}, cfg: testConfig()}
	f.rec = &recorder{next: OutboxNotifier{Route: func(Change) []string { return []string{"test"} }}}
	f.engine = f.newEngine()
	return f
}

func (f *fixture) newEngine() *Engine {
	e, err := buildEngine(f.cfg, f.store, f.clock.Now, f.rec)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

func buildEngine(cfg config.Config, s store.Store, now func() time.Time, stages ...Stage) (*Engine, error) {
	grader, err := NewGrader(cfg.Grading, cfg.Incidents.ValueFrom)
	if err != nil {
		return nil, err
	}
	sla, err := NewSLAPolicy(cfg.SLA)
	if err != nil {
		return nil, err
	}
	oncall, err := NewScheduleOnCall(cfg.OnCall)
	if err != nil {
		return nil, err
	}
	return NewEngine(Options{Store: s, Grader: grader, SLA: sla, Grouping: NewGrouping(cfg.Incidents.GroupBy),
		ReopenWindow: time.Duration(cfg.Incidents.ReopenWindow), OnCall: oncall, Stages: stages, Now: now}), nil
}

func firing(fp, name string, starts time.Time, labels map[string]string, value string) template.Alert {
	l := map[string]string{"alertname": name}
	for k, v := range labels {
		l[k] = v
	}
	return template.Alert{Status: "firing", Labels: l, Annotations: map[string]string{"value": value},
		StartsAt: starts, Fingerprint: fp}
}

func resolved(a template.Alert, ends time.Time) template.Alert {
	a.Status, a.EndsAt = "resolved", ends
	return a
}

// msg builds a webhook as one Alertmanager peer would send it.
func msg(peer, reason string, alerts ...template.Alert) (*webhook.Message, []byte) {
	m := &webhook.Message{Version: "4", GroupKey: "{}:{alertname}"}
	m.Receiver, m.Status, m.ExternalURL, m.NotificationReason = "golive", "firing", peer, reason
	m.Alerts = alerts
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return m, raw
}

func (f *fixture) ingest(peer, reason string, alerts ...template.Alert) Result {
	f.t.Helper()
	m, raw := msg(peer, reason, alerts...)
	res, err := f.engine.Ingest(context.Background(), m, raw)
	if err != nil {
		f.t.Fatalf("Ingest: %v", err)
	}
	return res
}

func (f *fixture) incidents() []store.Incident {
	f.t.Helper()
	incs, err := f.store.ListIncidents(context.Background(), store.IncidentFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	return incs
}

func (f *fixture) only() store.Incident {
	f.t.Helper()
	incs := f.incidents()
	if len(incs) != 1 {
		f.t.Fatalf("%d incidents, want exactly 1: %+v", len(incs), incs)
	}
	return incs[0]
}

func (f *fixture) outboxKeys() []string {
	f.t.Helper()
	items, err := f.store.Outbox(context.Background(), 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

func (f *fixture) timeline(id int64) []store.EventKind {
	f.t.Helper()
	evs, err := f.store.Timeline(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []store.EventKind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}
