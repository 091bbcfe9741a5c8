package exporter

import (
	"fmt"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
)

// A scrape with a hung collector, a PostgreSQL and a Redis that accept
// connections but never answer must still answer within Prometheus's
// timeout, with pg_up 0, redis_up 0 and everything else present.
func TestScrapeMeetsDeadlineWithHungBackends(t *testing.T) {
	addr := testenv.SilentListener(t)
	config := fmt.Sprintf(`
global:
  scrape_timeout_offset: 500ms
postgres:
  - name: hung
    dsn: postgres://postgres@%[1]s/postgres?sslmode=disable
    timeout: 30s
redis:
  - name: hung
    address: %[1]s
`, addr)
	s := start(t, config, hung(t), constant("healthy", 1))

	begin := time.Now()
	code, body := s.get(t, "/metrics", scrapeTimeoutHeader, "2")
	took := time.Since(begin)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if took > 2*time.Second {
		t.Errorf("scrape took %v, more than Prometheus's 2s timeout", took)
	}
	if took < time.Second {
		t.Errorf("scrape took %v; the hung backends should have held it until near the 1.5s budget", took)
	}
	for _, want := range []string{
		`pg_up{server="hung"} 0`,
		`redis_up{server="hung"} 0`,
		`golive_test_value{source="healthy"} 1`,
		`golive_exporter_collector_success{collector="hung",target=""} 0`,
		`golive_exporter_collector_success{collector="postgres",target="hung"} 0`,
		`golive_exporter_collector_success{collector="redis",target="hung"} 0`,
		`golive_exporter_collector_success{collector="fake",target="healthy"} 1`,
		`golive_build_info{`,
	} {
		if !hasLine(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
