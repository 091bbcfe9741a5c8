package baseline

import (
	"math"
	"slices"
	"testing"
)

func TestSummarize(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	oneTo100 := make([]float64, 100)
	for i := range oneTo100 {
		oneTo100[100-1-i] = float64(i + 1) // descending: Summarize must sort
	}
	for _, tc := range []struct {
		name string
		in   []float64
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"only NaN", []float64{nan, nan}, Summary{Dropped: 2}},
		{"single", []float64{7}, Summary{Count: 1, Mean: 7, Median: 7, Min: 7, Max: 7, P95: 7, P99: 7}},
		{
			// stdev = sqrt((2.25+0.25+0.25+2.25)/3); p95 rank 2.85 ⇒ 3 + 0.85.
			"four", []float64{4, 1, 3, 2},
			Summary{Count: 4, Mean: 2.5, Median: 2.5, Min: 1, Max: 4, Stdev: math.Sqrt(5.0 / 3), P95: 3.85, P99: 3.97},
		},
		{
			"non-finite dropped", []float64{nan, 5, inf, 1, math.Inf(-1)},
			Summary{Count: 2, Dropped: 3, Mean: 3, Median: 3, Min: 1, Max: 5, Stdev: math.Sqrt(8), P95: 4.8, P99: 4.96},
		},
		{
			// Sample stdev of 1..n is sqrt(n(n+1)/12); p95 rank 94.05 ⇒ 95.05.
			"1 to 100", oneTo100,
			Summary{Count: 100, Mean: 50.5, Median: 50.5, Min: 1, Max: 100, Stdev: math.Sqrt(100 * 101 / 12.0), P95: 95.05, P99: 99.01},
		},
		{
			// A naive sum-of-squares formula loses this spread entirely.
			"large offset", []float64{1e12 + 1, 1e12 + 2, 1e12 + 3},
			Summary{Count: 3, Mean: 1e12 + 2, Median: 1e12 + 2, Min: 1e12 + 1, Max: 1e12 + 3, Stdev: 1, P95: 1e12 + 2.9, P99: 1e12 + 2.98},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.in)
			got := Summarize(in)
			if got.Count != tc.want.Count || got.Dropped != tc.want.Dropped {
				t.Fatalf("count/dropped = %d/%d, want %d/%d", got.Count, got.Dropped, tc.want.Count, tc.want.Dropped)
			}
			for _, f := range []struct {
				name      string
				got, want float64
			}{
				{"mean", got.Mean, tc.want.Mean}, {"median", got.Median, tc.want.Median},
				{"min", got.Min, tc.want.Min}, {"max", got.Max, tc.want.Max},
				{"stdev", got.Stdev, tc.want.Stdev}, {"p95", got.P95, tc.want.P95}, {"p99", got.P99, tc.want.P99},
			} {
				if !approx(f.got, f.want) {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
			if !slices.EqualFunc(in, tc.in, func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }) {
				t.Errorf("Summarize modified its input: %v", in)
			}
		})
	}
}

func TestPercentileEnds(t *testing.T) {
	s := []float64{10, 20, 30}
	for _, tc := range []struct{ p, want float64 }{{0, 10}, {50, 20}, {75, 25}, {100, 30}} {
		if got := Percentile(s, tc.p); !approx(got, tc.want) {
			t.Errorf("Percentile(%v, %v) = %v, want %v", s, tc.p, got, tc.want)
		}
	}
}

func approx(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}
