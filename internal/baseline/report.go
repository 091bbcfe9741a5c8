package baseline

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Change is what happened to one threshold of the thresholds file.
type Change struct {
	Threshold string   `json:"threshold"` // YAML path, e.g. host.cpu.warning_percent
	Unit      string   `json:"unit"`
	Old       *float64 `json:"old"` // nil: the level was disabled
	New       *float64 `json:"new"`
	Applied   bool     `json:"applied"`
}

// WriteJSON writes b as indented JSON.
func WriteJSON(w io.Writer, b *Baseline) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("encode baseline: %w", err)
	}
	return nil
}

// WriteReport writes the human-readable report: the window, a statistics
// table per quantity (all series pooled, then each series), the derived
// thresholds with every guard that changed them, and, when a thresholds file
// was written, what changed in it.
func WriteReport(w io.Writer, b *Baseline, changes []Change) error {
	ew := &errWriter{w: w}
	ew.printf("golive performance baseline\n")
	ew.printf("===========================\n\n")
	ew.printf("Prometheus:  %s\n", b.Prometheus)
	ew.printf("Window:      %s to %s (%s, step %s, rate window %s)\n",
		b.Window.Start.Format(time.RFC3339), b.Window.End.Format(time.RFC3339), b.Window.Duration, b.Window.Step, b.Window.RateWindow)
	ew.printf("Generated:   %s\n", b.GeneratedAt.Format(time.RFC3339))
	ew.printf("Statistics:  stdev is the sample standard deviation (n-1); median, p95 and p99 interpolate\n")
	ew.printf("             linearly between closest ranks (NumPy's default). NaN samples are dropped.\n\n")

	ew.printf("Statistics\n----------\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	ew.tab(tw, "quantity\tseries\tsamples\tmean\tmedian\tmin\tmax\tstdev\tp95\tp99\t\n")
	for _, q := range b.Quantities {
		ew.tab(tw, statsRow(q.Title+" ("+q.Unit+")", "all", q.Unit, q.All))
		for _, s := range q.Series {
			ew.tab(tw, statsRow("", labelString(s.Labels), q.Unit, s.Summary))
		}
	}
	if err := tw.Flush(); err != nil && ew.err == nil {
		ew.err = err
	}

	ew.printf("\nDerived thresholds\n------------------\n")
	for _, d := range b.Derivations {
		if d.Applied {
			ew.printf("%s: warning %s, critical %s  [%s]\n", d.Quantity, formatValue(d.Warning, d.Unit), formatValue(d.Critical, d.Unit), d.Formula)
		} else {
			ew.printf("%s: NOT DERIVED  [%s]\n", d.Quantity, d.Formula)
		}
		for _, n := range d.Notes {
			ew.printf("  - %s\n", n)
		}
	}
	if len(changes) > 0 {
		ew.printf("\nThresholds file\n---------------\n")
		for _, c := range changes {
			old, nw := formatLevel(c.Old, c.Unit), formatLevel(c.New, c.Unit)
			switch {
			case !c.Applied:
				ew.printf("%-42s kept %s (not derived, see above)\n", c.Threshold, old)
			case old == nw:
				ew.printf("%-42s %s (unchanged)\n", c.Threshold, nw)
			default:
				ew.printf("%-42s %s -> %s\n", c.Threshold, old, nw)
			}
		}
	}
	if len(b.Warnings) > 0 {
		ew.printf("\nPrometheus warnings\n-------------------\n")
		for _, w := range b.Warnings {
			ew.printf("- %s\n", w)
		}
	}
	return ew.err
}

func statsRow(title, series, unit string, s Summary) string {
	if s.Count == 0 {
		return fmt.Sprintf("%s\t%s\t0\t-\t-\t-\t-\t-\t-\t-\t\n", title, series)
	}
	f := func(v float64) string { return formatValue(v, unit) }
	samples := fmt.Sprint(s.Count)
	if s.Dropped > 0 {
		samples += fmt.Sprintf(" (+%d NaN)", s.Dropped)
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
		title, series, samples, f(s.Mean), f(s.Median), f(s.Min), f(s.Max), f(s.Stdev), f(s.P95), f(s.P99))
}

// formatValue renders v for people, in the unit's customary form.
func formatValue(v float64, unit string) string {
	switch unit {
	case UnitPercent:
		return fmt.Sprintf("%.2f%%", v)
	case UnitSeconds:
		if v < 1 {
			return fmt.Sprintf("%.1fms", v*1000)
		}
		return fmt.Sprintf("%.3fs", v)
	case UnitBytes:
		return formatBytes(v)
	case UnitPerSecond:
		return fmt.Sprintf("%.2f/s", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func formatLevel(v *float64, unit string) string {
	if v == nil {
		return "disabled"
	}
	return formatValue(*v, unit)
}

func formatBytes(v float64) string {
	const unit = 1024.0
	suffixes := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= unit && i < len(suffixes)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f%s", v, suffixes[i])
}

func labelString(l map[string]string) string {
	if len(l) == 0 {
		return "{}"
	}
	parts := make([]string, 0, len(l))
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, l[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// errWriter keeps the first write error so the report reads top to bottom.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}

func (e *errWriter) tab(tw *tabwriter.Writer, s string) {
	if _, err := io.WriteString(tw, s); err != nil && e.err == nil {
		e.err = err
	}
}
