package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

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
