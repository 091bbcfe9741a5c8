package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Grades are the incident grades in report order.
var Grades = []string{"P0", "P1", "P2", "P3"}

// GradeStats are one grade's figures for one day. Times are in seconds;
// NaN when nothing was acknowledged or resolved.
type GradeStats struct {
	Priority               string
	Opened, Resolved, Open int
	Acknowledged           int
	MTTAMean, MTTAMedian   float64 // opened → acknowledged, of those acknowledged in the day
	MTTRMean, MTTRMedian   float64 // opened → resolved, of those resolved in the day
	ResponseBreaches       int
	ResolutionBreaches     int
	acks, resolves         []float64
}

// IncidentStats are a day's incident figures, per grade and in total.
type IncidentStats struct {
	ByGrade []GradeStats // P0..P3
	Total   GradeStats
	// OpenedByHour counts incidents opened per hour of the day, per grade.
	OpenedByHour map[string][]int
}

// Breach is one SLA deadline missed during the day.
type Breach struct {
	IncidentID int64
	Title      string
	Priority   string
	Kind       string // response or resolution
	At         time.Time
}

// maxIncidents is what one read asks for (the receiver API's limit).
const maxIncidents = 5000

func (r *Report) incidents(ctx context.Context, src IncidentSource) error {
	prevFrom := r.From.AddDate(0, 0, -1)
	incs, err := src.Incidents(ctx, prevFrom.Add(-r.opts.Lookback), r.To)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrIncidents, err)
	}
	if len(incs) >= maxIncidents {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d incidents or more: figures cover the newest %d", maxIncidents, maxIncidents))
	}
	r.Incidents = incidentStats(incs, r.From, r.To)
	r.Previous = incidentStats(incs, prevFrom, r.From)
	for _, inc := range incs {
		if in(inc.ResponseBreachedAt, r.From, r.To) {
			r.Breaches = append(r.Breaches, Breach{inc.ID, inc.Title, inc.Priority, "response", inc.ResponseBreachedAt})
		}
		if in(inc.ResolutionBreachedAt, r.From, r.To) {
			r.Breaches = append(r.Breaches, Breach{inc.ID, inc.Title, inc.Priority, "resolution", inc.ResolutionBreachedAt})
		}
	}
	sort.Slice(r.Breaches, func(i, j int) bool { return r.Breaches[i].At.Before(r.Breaches[j].At) })
	if as, ok := src.(ActivitySource); ok {
		// A partial answer (a limit reached) comes with its error.
		acts, err := as.Activity(ctx, r.From, r.To)
		if err != nil {
			r.Warnings = append(r.Warnings, "rollouts and remediation runs: "+err.Error())
		}
		if err == nil || acts != nil {
			r.ActivityKnown = true
			r.Activity = acts
			sort.SliceStable(r.Activity, func(i, j int) bool { return r.Activity[i].At.Before(r.Activity[j].At) })
		}
	}
	return nil
}

func in(t, from, to time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }

// incidentStats counts what happened in [from, to): opened, acknowledged
// and resolved then, and still open at its end. Time to acknowledge and to
// resolve are measured from OpenedAt for the incidents acknowledged or
// resolved in the window, whenever they opened.
func incidentStats(incs []Incident, from, to time.Time) IncidentStats {
	s := IncidentStats{OpenedByHour: map[string][]int{}}
	hours := int(to.Sub(from).Round(time.Hour) / time.Hour)
	by := map[string]*GradeStats{}
	for _, g := range Grades {
		by[g] = &GradeStats{Priority: g}
		s.OpenedByHour[g] = make([]int, hours)
	}
	for _, inc := range incs {
		g, ok := by[inc.Priority]
		if !ok {
			continue
		}
		if in(inc.OpenedAt, from, to) {
			g.Opened++
			if h := int(inc.OpenedAt.Sub(from) / time.Hour); h >= 0 && h < hours {
				s.OpenedByHour[inc.Priority][h]++
			}
		}
		if in(inc.AcknowledgedAt, from, to) {
			g.Acknowledged++
			g.acks = append(g.acks, inc.AcknowledgedAt.Sub(inc.OpenedAt).Seconds())
		}
		if in(inc.ResolvedAt, from, to) {
			g.Resolved++
			g.resolves = append(g.resolves, inc.ResolvedAt.Sub(inc.OpenedAt).Seconds())
		}
		// Open at the end of the window: opened before it ends and neither
		// resolved nor closed by then.
		done := inc.ResolvedAt
		if done.IsZero() {
			done = inc.ClosedAt
		}
		if inc.OpenedAt.Before(to) && (done.IsZero() || !done.Before(to)) {
			g.Open++
		}
		if in(inc.ResponseBreachedAt, from, to) {
			g.ResponseBreaches++
		}
		if in(inc.ResolutionBreachedAt, from, to) {
			g.ResolutionBreaches++
		}
	}
	total := GradeStats{Priority: "all"}
	for _, name := range Grades {
		g := by[name]
		total.Opened += g.Opened
		total.Resolved += g.Resolved
		total.Open += g.Open
		total.Acknowledged += g.Acknowledged
		total.ResponseBreaches += g.ResponseBreaches
		total.ResolutionBreaches += g.ResolutionBreaches
		total.acks = append(total.acks, g.acks...)
		total.resolves = append(total.resolves, g.resolves...)
		g.finish()
		s.ByGrade = append(s.ByGrade, *g)
	}
	total.finish()
	s.Total = total
	return s
}

func (g *GradeStats) finish() {
	g.MTTAMean, g.MTTAMedian = mean(g.acks), median(slices.Clone(g.acks))
	g.MTTRMean, g.MTTRMedian = mean(g.resolves), median(slices.Clone(g.resolves))
}

func sortFloats(xs []float64) { sort.Float64s(xs) }
