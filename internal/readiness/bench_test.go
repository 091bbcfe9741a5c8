package readiness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
)

// BenchmarkFortyItems runs 40 automated items concurrently: 38 HTTP probes
// of an endpoint that takes 200 ms, one of a server that never answers
// (timeout 2s) and one TCP probe. A run must end within the slowest item's
// timeout plus 1 s (the target); the benchmark fails otherwise and
// reports how much of that budget a run used.
func BenchmarkFortyItems(b *testing.B) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	hung := testenv.SilentListener(b)
	var items strings.Builder
	for i := range 38 {
		fmt.Fprintf(&items, "  - {name: api-%d, probe: {module: http_2xx, target: %s/%d}}\n", i, slow.URL, i)
	}
	fmt.Fprintf(&items, "  - {name: hung, timeout: 2s, probe: {module: http_2xx, target: http://%s/}}\n", hung)
	fmt.Fprintf(&items, "  - {name: port, probe: {module: tcp, target: %s}}\n", strings.TrimPrefix(slow.URL, "http://"))
	c := checklistT(b, "modules:\n  http_2xx: {prober: http, timeout: 10s}\n  tcp: {prober: tcp, timeout: 5s}\nitems:\n"+items.String(), "")
	budget := 2*time.Second + time.Second
	env, err := NewEnv(c, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	var worst time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		r := Run(context.Background(), c, NewEnvLike(env))
		elapsed := time.Since(start)
		worst = max(worst, elapsed)
		if len(r.Items) != 40 {
			b.Fatalf("%d items in the report", len(r.Items))
		}
		if elapsed > budget {
			b.Fatalf("a run of 40 items took %s, more than the slowest timeout (2s) + 1s", elapsed)
		}
	}
	b.ReportMetric(worst.Seconds(), "worst-s/run")
	b.ReportMetric(worst.Seconds()/budget.Seconds(), "budget-used")
}
