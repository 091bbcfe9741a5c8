package baseline

import (
	"path/filepath"
	"testing"

	"github.com/golive-ops/golive/internal/testenv"
)

// startPrometheus backfills the synthetic history with promtool and serves
// it with a real Prometheus on a free loopback port; it returns the base URL.
func startPrometheus(t *testing.T, s *synth) string {
	t.Helper()
	om := filepath.Join(t.TempDir(), "history.om")
	s.writeOpenMetrics(t, om)
	return testenv.Prometheus(t, testenv.PrometheusOptions{Backfill: om, Args: []string{"--storage.tsdb.retention.time=30d"}})
}
