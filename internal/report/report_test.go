package report

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/promclient"
)

// fakeProm answers instant queries from a table (nothing for the rest).
type fakeProm struct {
	instant map[string][]promclient.Point
	err     error
}

func (f fakeProm) Query(_ context.Context, q string, ts time.Time) ([]promclient.Point, []string, error) {
	if f.err != nil {
		return nil, nil, f.err
	}
	return f.instant[q], nil, nil
}

func (f fakeProm) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]promclient.Series, []string, error) {
	return nil, nil, f.err
}

type incidents []Incident

func (s incidents) Incidents(context.Context, time.Time, time.Time) ([]Incident, error) {
	return s, nil
}

var day = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func build(t *testing.T, prom Prometheus, src IncidentSource) *Report {
	t.Helper()
	r, err := Build(context.Background(), prom, src, Options{Day: day, Location: time.UTC, Now: func() time.Time { return day.AddDate(0, 0, 2) }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestQuietDaySaysSoInOneLine(t *testing.T) {
	up := []promclient.Point{{Labels: map[string]string{"job": "node", "instance": "h1"}, Sample: promclient.Sample{Value: 1}}}
	r := build(t, fakeProm{instant: map[string][]promclient.Point{`up`: up, `avg_over_time(up[86400s])`: up}}, incidents(nil))
	if !r.Quiet() {
		t.Fatalf("not quiet: %q", r.Attention)
	}
	first := strings.SplitN(r.RenderText(), "\n", 3)[1]
	if !strings.HasPrefix(first, "Quiet day") || !strings.Contains(r.Subject(), "quiet day") {
		t.Errorf("first line %q, subject %q", first, r.Subject())
	}
	// One target down for part of the day makes it not quiet.
	down := []promclient.Point{{Labels: map[string]string{"job": "node", "instance": "h1"}, Sample: promclient.Sample{Value: 0.5}}}
	r = build(t, fakeProm{instant: map[string][]promclient.Point{`up`: {{Labels: down[0].Labels}}, `avg_over_time(up[86400s])`: down}}, nil)
	if r.Quiet() || !strings.Contains(r.Attention[0], "target h1 (node) is down") {
		t.Errorf("attention = %q", r.Attention)
	}
}

func TestIncidentFigures(t *testing.T) {
	d0 := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	at := func(h float64) time.Time { return d0.Add(time.Duration(h * float64(time.Hour))) }
	incs := incidents{
		{ID: 1, Priority: "P1", OpenedAt: at(1), AcknowledgedAt: at(1.5), ResolvedAt: at(3)},
		{ID: 2, Priority: "P1", OpenedAt: at(2), AcknowledgedAt: at(2.25), ResolvedAt: at(30)}, // resolved the next day
		{ID: 3, Priority: "P1", OpenedAt: at(-5), ResolvedAt: at(1), ResolutionBreachedAt: at(0.5)},
		{ID: 4, Priority: "P2", OpenedAt: at(23), State: "closed", ClosedAt: at(23.5)},
		{ID: 5, Priority: "P9", OpenedAt: at(4)}, // not a grade: ignored
	}
	r := build(t, fakeProm{}, incs)
	p1 := r.Incidents.ByGrade[1]
	if p1.Opened != 2 || p1.Resolved != 2 || p1.Open != 1 || p1.Acknowledged != 2 || p1.ResolutionBreaches != 1 {
		t.Errorf("P1 = %+v", p1)
	}
	// Acknowledged after 30 and 15 minutes; resolved after 2 h and 6 h.
	if p1.MTTAMean != 22.5*60 || p1.MTTAMedian != 22.5*60 || p1.MTTRMean != 4*3600 || p1.MTTRMedian != 4*3600 {
		t.Errorf("P1 times = %v %v %v %v", p1.MTTAMean, p1.MTTAMedian, p1.MTTRMean, p1.MTTRMedian)
	}
	if p2 := r.Incidents.ByGrade[2]; p2.Opened != 1 || p2.Open != 0 || !math.IsNaN(p2.MTTRMean) {
		t.Errorf("P2 (closed without resolving) = %+v", p2)
	}
	if r.Incidents.OpenedByHour["P1"][1] != 1 || r.Incidents.OpenedByHour["P1"][2] != 1 {
		t.Errorf("by hour = %v", r.Incidents.OpenedByHour["P1"])
	}
	if len(r.Breaches) != 1 || r.Breaches[0].IncidentID != 3 || r.Breaches[0].Kind != "resolution" {
		t.Errorf("breaches = %+v", r.Breaches)
	}
}

func TestPrometheusUnreachableFailsTheReport(t *testing.T) {
	_, err := Build(context.Background(), fakeProm{err: errors.New("dial tcp: connection refused")}, nil, Options{Day: day})
	if !errors.Is(err, ErrPrometheus) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v, want ErrPrometheus with the reason", err)
	}
}

func TestParseDate(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 3, 14, 20, 0, 0, 0, time.UTC) // 04:00 on the 15th in Shanghai
	for in, want := range map[string]string{"today": "2026-03-15", "yesterday": "2026-03-14", "2026-02-28": "2026-02-28"} {
		d, err := ParseDate(in, now, loc)
		if from, _ := Day(d, loc); err != nil || from.Format(time.DateOnly) != want {
			t.Errorf("%s: %v %v, want %s", in, from, err, want)
		}
	}
	for _, bad := range []string{"2026-02-30", "14/03/2026", "tomorrow"} {
		if _, err := ParseDate(bad, now, loc); err == nil || !strings.Contains(err.Error(), "--date") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	// A day with a daylight-saving change is 23 hours long.
	ny, _ := time.LoadLocation("America/New_York")
	from, to := Day(time.Date(2026, 3, 8, 12, 0, 0, 0, ny), ny)
	if to.Sub(from) != 23*time.Hour {
		t.Errorf("DST day = %s", to.Sub(from))
	}
}

func TestAlertFiringsAndFlapping(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	step := 5 * time.Minute
	var smp []promclient.Sample
	for _, start := range []int{0, 10, 30} { // three periods of 3 steps, gaps of several steps
		for i := range 3 {
			smp = append(smp, promclient.Sample{Time: t0.Add(time.Duration(start+i) * step), Value: 1})
		}
	}
	stats := alertStats([]promclient.Series{
		{Labels: map[string]string{"alertname": "A", "severity": "warning"}, Samples: smp},
		{Labels: map[string]string{"alertname": "B"}, Samples: smp[:3]},
	}, step, 3)
	if len(stats) != 2 || stats[0].Name != "A" || stats[0].Firings != 3 || !stats[0].Flapping || stats[0].Firing != 45*time.Minute ||
		stats[1].Firings != 1 || stats[1].Flapping {
		t.Errorf("stats = %+v", stats)
	}
}
