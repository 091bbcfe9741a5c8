// Package baseline measures how a system normally behaves from Prometheus
// history and derives alert thresholds from it with the runbook's formulas
// (R4), guarded so that odd data cannot produce a useless threshold.
package baseline

import (
	"context"
	"fmt"
	"time"

	"github.com/golive-ops/golive/internal/promclient"
	"github.com/prometheus/common/model"
)

// Querier is the part of promclient.Client the baseline needs.
type Querier interface {
	QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]promclient.Series, []string, error)
}

// Options describe what to sample.
type Options struct {
	Start, End time.Time
	Step       time.Duration
	// RateWindow is the range of rate() windows over counters.
	RateWindow time.Duration
	Selectors  Selectors
	Guards     Guards
	// Progress, when set, is called after each quantity is sampled: a week
	// at a 1m step is a few dozen range queries and can take a while.
	Progress func(p Progress)
}

// Progress reports how far Collect is.
type Progress struct {
	Done, Total int
	Quantity    string // title of the quantity just sampled
	Series      int
	Elapsed     time.Duration
}

// Baseline is the result: statistics per quantity and the thresholds derived
// from them. It is what --out writes as JSON.
type Baseline struct {
	GeneratedAt time.Time        `json:"generated_at"`
	Prometheus  string           `json:"prometheus"`
	Window      Window           `json:"window"`
	Selectors   Selectors        `json:"selectors"`
	Guards      Guards           `json:"guards"`
	Quantities  []QuantityResult `json:"quantities"`
	Derivations []Derivation     `json:"derivations"`
	// Warnings are what Prometheus attached to query answers.
	Warnings []string `json:"warnings,omitempty"`
}

// Window is the sampled time range.
type Window struct {
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Duration   string    `json:"duration"`
	Step       string    `json:"step"`
	RateWindow string    `json:"rate_window"`
}

// QuantityResult holds the statistics of one quantity: over all its series
// pooled together (what thresholds are derived from, since one alert rule
// covers every instance) and per series.
type QuantityResult struct {
	Name   string         `json:"name"`
	Title  string         `json:"title"`
	Unit   string         `json:"unit"`
	Query  string         `json:"query"`
	All    Summary        `json:"all"`
	Series []SeriesResult `json:"series"`
}

// SeriesResult is the Summary of one result series.
type SeriesResult struct {
	Labels map[string]string `json:"labels"`
	Summary
}

// Collect runs every quantity's range query and derives thresholds. It stops
// at the first failing query: with validated selectors a failure means
// Prometheus is unreachable or overloaded, and the error says which.
func Collect(ctx context.Context, q Querier, server string, opts Options) (*Baseline, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	b := &Baseline{
		GeneratedAt: time.Now().UTC(),
		Prometheus:  server,
		Window: Window{
			Start:      opts.Start.UTC(),
			End:        opts.End.UTC(),
			Duration:   model.Duration(opts.End.Sub(opts.Start)).String(),
			Step:       model.Duration(opts.Step).String(),
			RateWindow: model.Duration(opts.RateWindow).String(),
		},
		Selectors: opts.Selectors,
		Guards:    opts.Guards,
	}
	rate := model.Duration(opts.RateWindow).String()
	started := time.Now()
	quantities := Quantities()
	for i, qt := range quantities {
		query := qt.Query(opts.Selectors, rate)
		series, warnings, err := q.QueryRange(ctx, query, opts.Start, opts.End, opts.Step)
		b.Warnings = append(b.Warnings, warnings...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", qt.Title, err)
		}
		res := summarizeSeries(qt, query, series)
		b.Quantities = append(b.Quantities, res)
		if opts.Progress != nil {
			opts.Progress(Progress{Done: i + 1, Total: len(quantities), Quantity: qt.Title, Series: len(series), Elapsed: time.Since(started)})
		}
		if qt.Derive != nil {
			b.Derivations = append(b.Derivations, qt.Derive(res.All, opts.Guards))
		}
	}
	return b, nil
}

func summarizeSeries(qt Quantity, query string, series []promclient.Series) QuantityResult {
	res := QuantityResult{Name: qt.Name, Title: qt.Title, Unit: qt.Unit, Query: query, Series: []SeriesResult{}}
	var pooled []float64
	for _, s := range series {
		values := make([]float64, len(s.Samples))
		for i, p := range s.Samples {
			values[i] = p.Value
		}
		pooled = append(pooled, values...)
		res.Series = append(res.Series, SeriesResult{Labels: withoutName(s.Labels), Summary: Summarize(values)})
	}
	res.All = Summarize(pooled)
	return res
}

// withoutName drops __name__, which selector-only queries keep: the
// quantity already names the series.
func withoutName(l map[string]string) map[string]string {
	out := make(map[string]string, len(l))
	for k, v := range l {
		if k != model.MetricNameLabel {
			out[k] = v
		}
	}
	return out
}

// HasData reports whether any quantity returned at least one sample.
func (b *Baseline) HasData() bool {
	for _, q := range b.Quantities {
		if q.All.Count > 0 {
			return true
		}
	}
	return false
}

// Derivation returns the derivation for the named quantity.
func (b *Baseline) Derivation(quantity string) (Derivation, bool) {
	for _, d := range b.Derivations {
		if d.Quantity == quantity {
			return d, true
		}
	}
	return Derivation{}, false
}

func (o Options) validate() error {
	switch {
	case o.Step <= 0:
		return fmt.Errorf("step must be positive, got %s", o.Step)
	case o.RateWindow <= 0:
		return fmt.Errorf("rate window must be positive, got %s", o.RateWindow)
	case !o.End.After(o.Start):
		return fmt.Errorf("window end %s must be after its start %s", o.End.Format(time.RFC3339), o.Start.Format(time.RFC3339))
	}
	return o.Guards.Validate()
}
