package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/template"

	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/postgres"
	"github.com/golive-ops/golive/receiver/store/postgres/pgtest"
)

// PostgreSQL refuses what SQLite keeps (btree entries above ~2.7 kB): a
// long, incompressible instance label must still become an incident, not
// a 503 that Alertmanager retries forever.
func TestLongGroupLabelsOnPostgres(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: pgtest.Schema(t, dsn)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := newFixture(t, s)
	var url strings.Builder
	url.WriteString("https://shop.example.org/search?q=")
	for i := range 100 { // 6.4 kB that does not compress
		sum := sha256.Sum256([]byte{byte(i)})
		url.WriteString(hex.EncodeToString(sum[:]))
	}
	lbls := map[string]string{"instance": url.String()}
	m, raw := msg(peerA, "", firing("fp1", "ProbeFailed", t0.Add(-time.Minute), lbls, "0"))
	if _, err := f.engine.Ingest(context.Background(), m, raw); err != nil {
		t.Fatalf("ingest: %v", err)
	}
	inc := f.only()
	if inc.State != store.StateNew || inc.Labels["instance"] != url.String() {
		t.Fatalf("incident = %+v", inc)
	}
}

// One advisory lock per group used to exhaust max_locks_per_transaction
// (shared by the whole server) above ~12,000 groups: 503 forever for a
// webhook max_alerts allows. Locks are now hashed into a fixed set.
func TestTwentyThousandGroupsOnPostgres(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	s, err := postgres.Open(context.Background(), postgres.Options{DSN: dsn, Schema: pgtest.Schema(t, dsn)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := newFixture(t, s)
	const groups = 20000
	alerts := make([]template.Alert, groups)
	for i := range alerts {
		alerts[i] = firing(fmt.Sprintf("fp%05d", i), "ProbeFailed", t0.Add(-time.Minute), map[string]string{"instance": fmt.Sprintf("host-%05d", i)}, "0")
	}
	m, raw := msg(peerA, "", alerts...)
	// The handler gives 20,000 alerts 45 s (storage.timeout plus
	// ingest.PerAlert each); this test is about locks, and a shared CI
	// machine may be slower.
	ctx := store.WithTimeout(context.Background(), 3*time.Minute)
	res, err := f.engine.Ingest(ctx, m, raw)
	if err != nil {
		t.Fatalf("ingest of %d groups: %v", groups, err)
	}
	if res.New != groups {
		t.Fatalf("new = %d, want %d", res.New, groups)
	}
	incs, err := s.ListIncidents(context.Background(), store.IncidentFilter{Limit: groups + 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != groups {
		t.Fatalf("%d incidents, want one per group (%d)", len(incs), groups)
	}
}
