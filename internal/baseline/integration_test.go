package baseline

import (
	"math"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/promclient"
)

var testSelectors = Selectors{Node: `job="node"`, App: `job="app"`, Postgres: `job="postgres"`, Redis: `job="redis"`, AppErrors: `code=~"5.."`}

// testWindow ends 3h ago so that the backfilled blocks lie wholly before
// Prometheus's head block.
func testWindow() (end time.Time, window time.Duration) {
	return time.Now().Add(-3 * time.Hour).Truncate(time.Minute), 2 * time.Hour
}

// TestAgainstPrometheus serves synthetic history from a real Prometheus and
// checks every statistic, the derivations and the command's outputs against
// values the test computes from the same samples.
func TestAgainstPrometheus(t *testing.T) {
	end, window := testWindow()
	s := buildSynth(end, window)
	url := startPrometheus(t, s)
	t.Run("collect", func(t *testing.T) { testCollect(t, s, url) })
	t.Run("command", func(t *testing.T) { testCommand(t, s, url) })
	t.Run("command with the thresholds' job selectors", func(t *testing.T) { testCommandDefaultSelectors(t, s, url) })
	t.Run("no matching series", func(t *testing.T) { testCommandNoData(t, s, url) })
	t.Run("nothing derived", func(t *testing.T) { testCommandNothingDerived(t, s, url) })
}

func testCollect(t *testing.T, s *synth, url string) {
	client, err := promclient.New(promclient.Options{URL: url, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Collect(t.Context(), client, client.Server(), Options{
		Start: s.start, End: s.end, Step: testStep, RateWindow: time.Minute,
		Selectors: testSelectors, Guards: DefaultGuards(),
	})
	if err != nil {
		t.Fatal(err)
	}

	expected := s.expected()
	points := len(s.evalTimes())
	for _, q := range b.Quantities {
		want, ok := expected[q.Name]
		if !ok {
			t.Errorf("quantity %s has no expectation in the test", q.Name)
			continue
		}
		if len(q.Series) != len(want) {
			t.Errorf("%s: %d series, want %d (query %s)", q.Name, len(q.Series), len(want), q.Query)
			continue
		}
		var pooled []float64
		for i, values := range want {
			if n := q.Series[i].Count + q.Series[i].Dropped; n != points {
				t.Errorf("%s %v: %d points, want %d", q.Name, q.Series[i].Labels, n, points)
			}
			compareSummary(t, q.Name+" "+labelString(q.Series[i].Labels), q.Series[i].Summary, refSummary(values))
			pooled = append(pooled, values...)
		}
		compareSummary(t, q.Name+" (all)", q.All, refSummary(pooled))
		delete(expected, q.Name)
	}
	for name := range expected {
		t.Errorf("quantity %s missing from the baseline", name)
	}

	// The idle minute yields NaN ratios, which must be dropped, not averaged.
	for _, name := range []string{QErrorRate, QLatencyP95} {
		if q := quantity(t, b, name); q.All.Dropped != 1 {
			t.Errorf("%s: dropped %d samples, want the 1 idle-minute NaN", name, q.All.Dropped)
		}
	}

	// Thresholds follow the formulas from the same statistics.
	cpu := refSummary(append(expected0(s, QCPU)[0], expected0(s, QCPU)[1]...))
	d, _ := b.Derivation(QCPU)
	wantWarn := math.Min(100, math.Max(DefaultGuards().CPUWarningFloor, cpu.Mean+2*cpu.Stdev))
	wantCrit := math.Min(100, math.Max(DefaultGuards().CPUCriticalFloor, cpu.Mean+3*cpu.Stdev))
	if !d.Applied || d.Warning != roundPercent(wantWarn) || d.Critical != roundPercent(wantCrit) {
		t.Errorf("CPU derivation = %+v, want warning %v critical %v", d, wantWarn, wantCrit)
	}
	lat := refSummary(expected0(s, QLatencyP95)[0])
	if d, _ := b.Derivation(QLatencyP95); !d.Applied || d.Warning != roundSeconds(1.5*lat.P95) || d.Critical != roundSeconds(2*lat.P95) {
		t.Errorf("latency derivation = %+v, want %v / %v", d, 1.5*lat.P95, 2*lat.P95)
	}
}

func expected0(s *synth, name string) [][]float64 { return s.expected()[name] }

func quantity(t *testing.T, b *Baseline, name string) QuantityResult {
	t.Helper()
	for _, q := range b.Quantities {
		if q.Name == name {
			return q
		}
	}
	t.Fatalf("quantity %s missing", name)
	return QuantityResult{}
}

func compareSummary(t *testing.T, what string, got, want Summary) {
	t.Helper()
	if got.Count != want.Count || got.Dropped != want.Dropped {
		t.Errorf("%s: count/dropped %d/%d, want %d/%d", what, got.Count, got.Dropped, want.Count, want.Dropped)
		return
	}
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"mean", got.Mean, want.Mean}, {"median", got.Median, want.Median}, {"min", got.Min, want.Min},
		{"max", got.Max, want.Max}, {"stdev", got.Stdev, want.Stdev}, {"p95", got.P95, want.P95}, {"p99", got.P99, want.P99},
	} {
		if !near(f.got, f.want) {
			t.Errorf("%s: %s = %v, want %v", what, f.name, f.got, f.want)
		}
	}
}

// near allows for PromQL's own float arithmetic (avg is incremental) and
// for the reference's one-pass variance.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want))
}
