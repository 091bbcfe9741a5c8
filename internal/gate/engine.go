package gate

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// Spec is one gate as the engine sees it (the receiver's config builds it).
type Spec struct {
	Name string
	// Alerts: consult the firing alerts Evidence.FiringAlerts returns.
	Alerts bool
	// IncidentsAtOrAbove: an open incident at this priority or a more
	// urgent one ⇒ rollback ("" does not consult incidents).
	IncidentsAtOrAbove string
	Checks             []Check
	// MinTraffic, when set, is the traffic below which checks that
	// NeedsTraffic hold instead of judging a statistic of a few requests.
	MinTraffic *MinTraffic
	// Consecutive is how many evaluations in a row a check must breach
	// before its OnBreach applies (values below 1 mean 1).
	Consecutive int
	// RequireReadiness: hold unless the latest readiness report says ready.
	RequireReadiness bool
}

// Check is one PromQL query compared with a threshold.
type Check struct {
	Name      string
	Query     string
	Op        Op
	Threshold float64
	// OnBreach is Hold or Rollback.
	OnBreach Decision
	// ObserveOnly checks are evaluated and reported but never decide.
	ObserveOnly bool
	// NeedsTraffic: a ratio or average that means nothing without
	// requests (error rate, response time), subject to MinTraffic.
	NeedsTraffic bool
}

// MinTraffic is the traffic floor: Query's value (summed over series)
// below Threshold means not enough traffic.
type MinTraffic struct {
	Query     string
	Threshold float64
}

// Status is a check's outcome in one evaluation.
type Status string

// Check outcomes.
const (
	StatusOK       Status = "ok"
	StatusBreached Status = "breached" // breached Consecutive times in a row: OnBreach applies
	StatusPending  Status = "pending"  // breached, not yet Consecutive times in a row: hold
	StatusNoData   Status = "no_data"
	StatusError    Status = "error"
	// StatusLowTraffic: the check needs traffic and there is not enough.
	StatusLowTraffic Status = "not_enough_traffic"
)

// CheckResult is one check's evaluation, with its inputs.
type CheckResult struct {
	Name        string   `json:"name"`
	Query       string   `json:"query"`
	Op          Op       `json:"op"`
	Threshold   Value    `json:"threshold"`
	Value       *Value   `json:"value"`  // worst series; null without data
	Series      int      `json:"series"` // how many series the query returned
	Breached    bool     `json:"breached"`
	Streak      int      `json:"streak"` // breaching evaluations in a row, this one included
	Status      Status   `json:"status"`
	Effect      Decision `json:"effect"` // what this check contributes to the decision
	OnBreach    Decision `json:"on_breach"`
	ObserveOnly bool     `json:"observe_only,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// Traffic is the min_traffic input of one evaluation.
type Traffic struct {
	Query     string `json:"query"`
	Threshold Value  `json:"threshold"`
	Value     *Value `json:"value"`
	Enough    bool   `json:"enough"`
	Error     string `json:"error,omitempty"`
}

// Result is one evaluation: the decision and everything it was made from.
type Result struct {
	Decision  Decision      `json:"decision"`
	Reasons   []string      `json:"reasons"`
	Checks    []CheckResult `json:"checks"`
	Traffic   *Traffic      `json:"traffic,omitempty"`
	Alerts    []Alert       `json:"alerts"`
	Incidents []Incident    `json:"incidents"`
	Readiness *Readiness    `json:"readiness,omitempty"`
}

// Streaks returns each check's breach streak, to pass to the next
// Evaluate of the same gate.
func (r Result) Streaks() map[string]int {
	m := make(map[string]int, len(r.Checks))
	for _, c := range r.Checks {
		m[c.Name] = c.Streak
	}
	return m
}

// Severities that decide: the receiver's generated rules use critical
// and emergency for pages, warning for tickets.
var (
	rollbackSeverities = []string{"critical", "emergency"}
	holdSeverities     = []string{"warning"}
)

// Evaluate gathers the evidence (queries run concurrently) and decides.
// prev holds each check's streak from the gate's previous evaluation (nil
// for none). Evaluate never fails: evidence it cannot get makes it hold.
func Evaluate(ctx context.Context, spec Spec, ev Evidence, prev map[string]int) Result {
	g := gather(ctx, spec, ev)
	return decide(spec, g, prev)
}

// gathered is the raw evidence of one evaluation.
type gathered struct {
	alerts       []Alert
	alertsErr    error
	incidents    []Incident
	incidentsErr error
	readiness    Readiness
	readyErr     error
	checks       []queryResult
	traffic      *queryResult
}

type queryResult struct {
	samples []Sample
	err     error
}

func gather(ctx context.Context, spec Spec, ev Evidence) gathered {
	var (
		g  gathered
		wg sync.WaitGroup
	)
	g.checks = make([]queryResult, len(spec.Checks))
	for i, c := range spec.Checks {
		wg.Go(func() { g.checks[i].samples, g.checks[i].err = ev.Query(ctx, c.Query) })
	}
	if spec.MinTraffic != nil {
		g.traffic = &queryResult{}
		wg.Go(func() { g.traffic.samples, g.traffic.err = ev.Query(ctx, spec.MinTraffic.Query) })
	}
	if spec.Alerts {
		wg.Go(func() { g.alerts, g.alertsErr = ev.FiringAlerts(ctx) })
	}
	if spec.IncidentsAtOrAbove != "" {
		wg.Go(func() { g.incidents, g.incidentsErr = ev.OpenIncidents(ctx) })
	}
	if spec.RequireReadiness {
		wg.Go(func() { g.readiness, g.readyErr = ev.Readiness(ctx) })
	}
	wg.Wait()
	return g
}

// decision accumulates the strongest effect and its reasons.
type decision struct {
	d       Decision
	reasons []string
}

func (a *decision) add(d Decision, format string, args ...any) {
	a.d = a.d.Stronger(d)
	a.reasons = append(a.reasons, string(d)+": "+fmt.Sprintf(format, args...))
}

func decide(spec Spec, g gathered, prev map[string]int) Result {
	acc := decision{d: Proceed}
	res := Result{Alerts: []Alert{}, Incidents: []Incident{}, Checks: make([]CheckResult, 0, len(spec.Checks))}

	if spec.Alerts {
		if g.alertsErr != nil {
			acc.add(Hold, "firing alerts unavailable: %v", g.alertsErr)
		}
		res.Alerts = sortedAlerts(g.alerts)
		for _, a := range res.Alerts {
			switch sev := strings.ToLower(a.Severity); {
			case contains(rollbackSeverities, sev):
				acc.add(Rollback, "alert %s (%s) is firing", a.AlertName, sev)
			case contains(holdSeverities, sev):
				acc.add(Hold, "alert %s (%s) is firing", a.AlertName, sev)
			}
		}
	}
	if spec.IncidentsAtOrAbove != "" {
		if g.incidentsErr != nil {
			acc.add(Hold, "open incidents unavailable: %v", g.incidentsErr)
		}
		for _, inc := range g.incidents {
			if !atOrAbove(inc.Priority, spec.IncidentsAtOrAbove) {
				continue
			}
			res.Incidents = append(res.Incidents, inc)
			acc.add(Rollback, "incident #%d (%s) is open: %s", inc.ID, inc.Priority, inc.Title)
		}
		sort.Slice(res.Incidents, func(i, j int) bool { return res.Incidents[i].ID < res.Incidents[j].ID })
	}
	if spec.RequireReadiness {
		r := g.readiness
		res.Readiness = &r
		switch {
		case g.readyErr != nil:
			acc.add(Hold, "readiness report unavailable: %v", g.readyErr)
		case !r.Known:
			acc.add(Hold, "no readiness report yet")
		case !r.Ready && len(r.Failing) > 0:
			for _, f := range r.Failing {
				acc.add(Hold, "not ready: %s", f)
			}
		case !r.Ready:
			acc.add(Hold, "not ready: %s", r.Summary)
		}
	}

	enoughTraffic := true
	if mt := spec.MinTraffic; mt != nil {
		t := &Traffic{Query: mt.Query, Threshold: Value(mt.Threshold)}
		res.Traffic = t
		switch {
		case g.traffic.err != nil:
			t.Error = g.traffic.err.Error()
		case len(g.traffic.samples) > 0:
			var sum float64
			for _, s := range g.traffic.samples {
				sum += s.Value
			}
			v := Value(sum)
			t.Value = &v
			t.Enough = !math.IsNaN(sum) && sum >= mt.Threshold
		}
		enoughTraffic = t.Enough
	}

	consecutive := max(spec.Consecutive, 1)
	// Checks failing with the same error (Prometheus down) share one
	// reason, in check order: the reason list is what people read.
	var (
		failed   = map[string][]string{}
		errOrder []string
	)
	for i, c := range spec.Checks {
		cr := judge(c, g.checks[i], prev[c.Name], consecutive, enoughTraffic)
		res.Checks = append(res.Checks, cr)
		switch {
		case c.ObserveOnly || cr.Effect == Proceed:
		case cr.Status == StatusError:
			if _, ok := failed[cr.Error]; !ok {
				errOrder = append(errOrder, cr.Error)
			}
			failed[cr.Error] = append(failed[cr.Error], cr.Name)
		default:
			acc.add(cr.Effect, "%s", describe(cr, consecutive, res.Traffic))
		}
	}
	for _, e := range errOrder {
		acc.add(Hold, "%s: query failed: %s", strings.Join(failed[e], ", "), e)
	}
	res.Decision = acc.d
	res.Reasons = acc.reasons
	if res.Reasons == nil {
		res.Reasons = []string{}
	}
	return res
}

// judge evaluates one check; the streak advances only on a judged value.
func judge(c Check, q queryResult, prevStreak, consecutive int, enoughTraffic bool) CheckResult {
	onBreach := c.OnBreach
	if !onBreach.Valid() || onBreach == Proceed {
		onBreach = Hold
	}
	cr := CheckResult{Name: c.Name, Query: c.Query, Op: c.Op, Threshold: Value(c.Threshold),
		OnBreach: onBreach, ObserveOnly: c.ObserveOnly, Streak: prevStreak, Series: len(q.samples)}
	if q.err != nil {
		cr.Status, cr.Effect, cr.Error = StatusError, Hold, q.err.Error()
		return cr
	}
	worst, ok := worstValue(c.Op, q.samples)
	if !ok {
		cr.Status, cr.Effect = StatusNoData, Hold
		return cr
	}
	v := Value(worst)
	cr.Value = &v
	if c.NeedsTraffic && !enoughTraffic {
		cr.Status, cr.Effect = StatusLowTraffic, Hold
		return cr
	}
	cr.Breached = c.Op.Holds(worst, c.Threshold)
	if !cr.Breached {
		cr.Status, cr.Effect, cr.Streak = StatusOK, Proceed, 0
		return cr
	}
	cr.Streak = prevStreak + 1
	if cr.Streak >= consecutive {
		cr.Status, cr.Effect = StatusBreached, onBreach
	} else {
		cr.Status, cr.Effect = StatusPending, Hold
	}
	return cr
}

// worstValue is the value of the series closest to breaching. NaN samples
// (0/0: a ratio without requests) count as no data.
func worstValue(op Op, samples []Sample) (float64, bool) {
	found := false
	var worst float64
	for _, s := range samples {
		if math.IsNaN(s.Value) {
			continue
		}
		if !found || op.worse(s.Value, worst) {
			worst, found = s.Value, true
		}
	}
	return worst, found
}

func describe(cr CheckResult, consecutive int, t *Traffic) string {
	switch cr.Status {
	case StatusNoData:
		return fmt.Sprintf("%s: no data", cr.Name)
	case StatusLowTraffic:
		if t != nil && t.Error != "" {
			return fmt.Sprintf("%s: traffic unknown: %s", cr.Name, t.Error)
		}
		if t == nil || t.Value == nil {
			return fmt.Sprintf("%s: not enough traffic (no data)", cr.Name)
		}
		return fmt.Sprintf("%s: not enough traffic (%s < %s)", cr.Name, num(float64(*t.Value)), num(float64(t.Threshold)))
	case StatusPending:
		return fmt.Sprintf("%s %s %s %s (breach %d of %d in a row)", cr.Name, num(float64(*cr.Value)), cr.Op, num(float64(cr.Threshold)), cr.Streak, consecutive)
	default:
		return fmt.Sprintf("%s %s %s %s", cr.Name, num(float64(*cr.Value)), cr.Op, num(float64(cr.Threshold)))
	}
}

func num(f float64) string { return fmt.Sprintf("%.4g", f) }

// atOrAbove reports whether priority p (P0…P3) is floor or more urgent.
// An unknown priority counts as urgent: a gate fails safe.
func atOrAbove(p, floor string) bool {
	rank := func(s string) int {
		if len(s) == 2 && s[0] == 'P' && s[1] >= '0' && s[1] <= '9' {
			return int(s[1] - '0')
		}
		return -1
	}
	return rank(p) <= rank(floor)
}

func sortedAlerts(in []Alert) []Alert {
	out := append([]Alert{}, in...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].AlertName != out[j].AlertName {
			return out[i].AlertName < out[j].AlertName
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
