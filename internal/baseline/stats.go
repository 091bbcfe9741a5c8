package baseline

import (
	"math"
	"slices"
)

// Summary describes one set of samples.
//
// Stdev is the sample standard deviation (divisor n-1, as Python's
// statistics.stdev that the runbook uses); it is 0 for fewer than two samples.
// Median, P95 and P99 use Percentile. NaN and ±Inf samples (for example a
// ratio over zero traffic) are not samples of the quantity: they are left
// out and counted in Dropped. With Count 0 every other field is 0.
type Summary struct {
	Count   int     `json:"count"`
	Dropped int     `json:"dropped,omitempty"`
	Mean    float64 `json:"mean"`
	Median  float64 `json:"median"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Stdev   float64 `json:"stdev"`
	P95     float64 `json:"p95"`
	P99     float64 `json:"p99"`
}

// Summarize computes the Summary of values (which it does not modify).
func Summarize(values []float64) Summary {
	finite := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			finite = append(finite, v)
		}
	}
	s := Summary{Count: len(finite), Dropped: len(values) - len(finite)}
	if s.Count == 0 {
		return s
	}
	slices.Sort(finite)
	s.Min, s.Max = finite[0], finite[len(finite)-1]
	s.Mean = mean(finite)
	s.Stdev = stdev(finite, s.Mean)
	s.Median = Percentile(finite, 50)
	s.P95 = Percentile(finite, 95)
	s.P99 = Percentile(finite, 99)
	return s
}

// Percentile returns the p-th percentile (0..100) of sorted, which must be
// sorted ascending and not empty, by linear interpolation between closest
// ranks: the value at rank h = (n-1)·p/100 counted from 0, interpolated
// between sorted[floor(h)] and sorted[ceil(h)]. This is Hyndman & Fan's
// definition 7, the default of NumPy, R and spreadsheets' PERCENTILE.INC; the
// 50th percentile is the usual median. Unlike the runbook's
// sorted(x)[int(n·0.95)] it does not depend on an off-by-one and is defined
// for every n >= 1.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	h := float64(n-1) * p / 100
	lo := int(math.Floor(h))
	hi := int(math.Ceil(h))
	if lo < 0 {
		lo = 0
	}
	if hi > n-1 {
		hi = n - 1
	}
	return sorted[lo] + (h-float64(lo))*(sorted[hi]-sorted[lo])
}

func mean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// stdev is two-pass (sum of squared deviations from the mean) so that large
// values with a small spread, such as bytes of memory, keep their precision.
func stdev(xs []float64, m float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var ss float64
	for _, x := range xs {
		d := x - m
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}
