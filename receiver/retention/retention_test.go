package retention

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// seed stores n webhooks received at at, each with one ended occurrence
// in a closed incident with a timeline.
func seed(t *testing.T, s store.Store, prefix string, n int, at time.Time) {
	t.Helper()
	err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for i := range n {
			name := fmt.Sprintf("%s%d", prefix, i)
			w := &store.Webhook{Hash: name, ReceivedAt: at, Body: []byte(`{}`)}
			if _, err := tx.InsertWebhook(ctx, w); err != nil {
				return err
			}
			chg, err := tx.UpsertOccurrences(ctx, w.ID, []store.Occurrence{{Fingerprint: name, StartsAt: at, EndsAt: at.Add(time.Minute),
				Labels: map[string]string{"alertname": "X"}, ReceivedAt: at}})
			if err != nil {
				return err
			}
			inc := &store.Incident{GroupKey: name, State: store.StateClosed, Priority: store.P3, Cycle: 1, OpenedAt: at, UpdatedAt: at,
				ResolvedAt: at.Add(time.Minute), ClosedAt: at.Add(2 * time.Minute)}
			if err := tx.CreateIncident(ctx, inc); err != nil {
				return err
			}
			if err := tx.AttachOccurrences(ctx, inc.ID, []int64{chg[0].ID}); err != nil {
				return err
			}
			if err := tx.AppendEvents(ctx, []store.Event{{IncidentID: inc.ID, At: at, Kind: store.EventOpened, Actor: store.SystemActor}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunOnceDeletesInBatches(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			s := b.Open(t)
			now := t0.Add(100 * 24 * time.Hour)
			seed(t, s, "old", 5, t0)
			seed(t, s, "new", 2, now.Add(-time.Hour))
			reg := prometheus.NewRegistry()
			r := &Runner{Store: s, Metrics: NewMetrics(reg), Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
				Config: Config{Webhooks: day(7), Occurrences: day(30), Incidents: day(90), Interval: day(1), BatchSize: 2}}
			got, err := r.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// Occurrences of the old incidents went with their incidents'
			// own retention only if occurrence retention did not take them
			// first: it runs first, so 5 occurrences, then 5 incidents.
			want := map[string]int{KindWebhooks: 5, KindOccurrences: 5, KindIncidents: 5}
			for k, n := range want {
				if got[k] != n {
					t.Errorf("deleted %s = %d, want %d (all: %v)", k, got[k], n, got)
				}
				if v := testutil.ToFloat64(r.Metrics.Deleted.WithLabelValues(k)); v != float64(n) {
					t.Errorf("golive_receiver_retention_deleted_total{kind=%q} = %v, want %d", k, v, n)
				}
			}
			incs, err := s.ListIncidents(context.Background(), store.IncidentFilter{})
			if err != nil || len(incs) != 2 {
				t.Fatalf("%d incidents left (%v), want the 2 recent ones", len(incs), err)
			}
			if again, err := r.RunOnce(context.Background()); err != nil || len(again) != 0 && (again[KindWebhooks]+again[KindOccurrences]+again[KindIncidents]) != 0 {
				t.Fatalf("second run deleted %v (%v), want nothing", again, err)
			}
		})
	}
}

func day(n int) model.Duration { return model.Duration(time.Duration(n) * 24 * time.Hour) }

func TestConfig(t *testing.T) {
	var c struct {
		R Config `yaml:"retention"`
	}
	if err := yaml.Unmarshal([]byte("retention: {incidents: 365d}\n"), &c); err != nil {
		t.Fatal(err)
	}
	if c.R.Incidents != day(365) || c.R.Webhooks != Default().Webhooks || c.R.BatchSize != 500 {
		t.Fatalf("defaults not kept: %+v", c.R)
	}
	for in, want := range map[string]string{
		"retention: {occurrences: 1h}": "retention.occurrences: 1h is shorter than 1d",
		"retention: {batch_size: 0}":   "retention.batch_size: 0 is not between 1 and 10000",
		"retention: {interval: 0s}":    "retention.interval: must be positive",
		"retention: {webhook: 1d}":     `webhook: unknown field (did you mean webhooks?)`,
	} {
		err := yaml.Unmarshal([]byte(in), &c)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
}
