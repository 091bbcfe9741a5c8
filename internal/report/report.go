// Package report builds golive's daily monitoring report (runbook R3.7):
// what happened to every host and server the exporter watches during one
// day, and what an SRE reads first (incidents by grade with time to
// acknowledge and resolve, SLA breaches, noisy alerts, capacity running out,
// certificates and backups going stale).
//
// Computing is separate from rendering: Build queries Prometheus and an
// incident source and returns a Report value; RenderText, RenderHTML,
// Charts and Message turn that value into a mail. Nothing here reads the
// receiver's store or API directly: callers pass an IncidentSource (the
// receiver's store in-process, its HTTP API from the CLI).
package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/golive-ops/golive/internal/promclient"
)

// Prometheus is the part of promclient.Client the report queries.
type Prometheus interface {
	Query(ctx context.Context, query string, ts time.Time) ([]promclient.Point, []string, error)
	QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]promclient.Series, []string, error)
}

// Incident is what the report reads of one receiver incident.
type Incident struct {
	ID                   int64
	Title                string
	Service              string
	Priority             string // P0..P3
	State                string
	OpenedAt             time.Time
	AcknowledgedAt       time.Time // zero: never acknowledged
	ResolvedAt           time.Time // zero: not resolved
	ClosedAt             time.Time
	ResponseBreachedAt   time.Time
	ResolutionBreachedAt time.Time
}

// IncidentSource lists incidents opened in [since, until). The report asks
// for a lookback before the day so that incidents resolved or breached
// during the day but opened earlier are counted too.
type IncidentSource interface {
	Incidents(ctx context.Context, since, until time.Time) ([]Incident, error)
}

// Activity is one rollout step, gate decision or remediation run.
type Activity struct {
	At      time.Time
	Kind    string // rollout, remediation, ...
	Name    string
	Outcome string
}

// ActivitySource is implemented by incident sources that also know the
// day's rollouts and remediation runs; a source without them leaves the
// section out.
type ActivitySource interface {
	Activity(ctx context.Context, from, to time.Time) ([]Activity, error)
}

// Options select the day and the thresholds the report judges against.
type Options struct {
	// Day is any instant of the reported day; the day runs from midnight
	// to midnight in Location.
	Day      time.Time
	Location *time.Location
	// Lookback is how long before the day incidents are read (default 30
	// days): an incident opened earlier and resolved today counts today.
	Lookback time.Duration
	// BackupMaxAge is the age above which a backup is reported stale
	// (thresholds backups.age.warning_age; default 26h).
	BackupMaxAge time.Duration
	// CertWarnDays lists certificates expiring within this many days
	// (default 30).
	CertWarnDays float64
	// DiskWarnDays lists filesystems predicted full within this many days
	// (default 30).
	DiskWarnDays float64
	// FlapMin is how many separate firings in a day make an alert
	// flapping (default 3).
	FlapMin int
	// Step is the resolution of charts and firing counts (default 5m).
	Step time.Duration
	// Parallel bounds concurrent Prometheus queries (default 8).
	Parallel int
	// ExternalURL links incidents to the receiver's UI when set.
	ExternalURL string
	Now         func() time.Time
}

func (o *Options) defaults() error {
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Day.IsZero() {
		o.Day = o.Now()
	}
	if o.Lookback <= 0 {
		o.Lookback = 30 * 24 * time.Hour
	}
	if o.BackupMaxAge <= 0 {
		o.BackupMaxAge = 26 * time.Hour
	}
	if o.CertWarnDays <= 0 {
		o.CertWarnDays = 30
	}
	if o.DiskWarnDays <= 0 {
		o.DiskWarnDays = 30
	}
	if o.FlapMin <= 0 {
		o.FlapMin = 3
	}
	if o.Step <= 0 {
		o.Step = 5 * time.Minute
	}
	if o.Step < time.Minute || o.Step > time.Hour {
		return fmt.Errorf("step %s must be between 1m and 1h", o.Step)
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	return nil
}

// Day returns midnight to midnight of the day holding t in loc (23 or 25
// hours long on daylight-saving changes).
func Day(t time.Time, loc *time.Location) (from, to time.Time) {
	t = t.In(loc)
	from = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 1)
}

// ParseDate parses --date: YYYY-MM-DD, "today" or "yesterday" in loc.
func ParseDate(s string, now time.Time, loc *time.Location) (time.Time, error) {
	now = now.In(loc)
	switch s {
	case "", "today":
		return now, nil
	case "yesterday":
		return now.AddDate(0, 0, -1), nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("--date: %q is not a day (want YYYY-MM-DD, today or yesterday)", s)
	}
	return t.Add(12 * time.Hour), nil
}

// ErrPrometheus wraps every failure to query Prometheus: without it there is
// no report (the command exits 2 with this reason).
var ErrPrometheus = errors.New("prometheus")

// ErrIncidents wraps failures to read the incident source.
var ErrIncidents = errors.New("incidents")

// Report is one day's report, ready to render.
type Report struct {
	Date        string // YYYY-MM-DD in Location
	Location    *time.Location
	From, To    time.Time
	GeneratedAt time.Time
	Prometheus  string
	ExternalURL string

	// Attention lists what needs someone, most urgent first; empty on a
	// quiet day.
	Attention []string

	// IncidentsKnown is false when the report was built without an
	// incident source: the incident sections are then left out, not zero.
	IncidentsKnown bool
	Incidents      IncidentStats
	Previous       IncidentStats // the day before, for the changes
	Breaches       []Breach
	Alerts         []AlertStat // by firings, most first
	// PreviousFirings is the number of alert firings the day before.
	PreviousFirings int

	Targets      []Target // scrape targets not up for the whole day
	Hosts        []Host
	Filesystems  []Filesystem // every filesystem, fullest first
	Services     []Service
	Databases    []Database
	Backups      []Backup
	Certificates []Certificate // expiring within CertWarnDays, soonest first
	Probes       []Probe       // endpoints that failed during the day
	Activity     []Activity
	// ActivityKnown is false when the source has no rollout or remediation
	// records (the section is then left out rather than shown empty).
	ActivityKnown bool

	Charts []Chart
	// Warnings are partial failures: a query that failed, a limit reached.
	Warnings []string

	opts Options
}

// Quiet reports whether nothing needed attention.
func (r *Report) Quiet() bool { return len(r.Attention) == 0 }

// Firings is the number of alert firings during the day.
func (r *Report) Firings() int {
	n := 0
	for _, a := range r.Alerts {
		n += a.Firings
	}
	return n
}

// Build computes the report for the day holding opts.Day.
func Build(ctx context.Context, prom Prometheus, src IncidentSource, opts Options) (*Report, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	from, to := Day(opts.Day, opts.Location)
	r := &Report{
		Date: from.Format(time.DateOnly), Location: opts.Location, From: from, To: to,
		GeneratedAt: opts.Now(), ExternalURL: opts.ExternalURL, opts: opts,
	}
	if c, ok := prom.(interface{ Server() string }); ok {
		r.Prometheus = c.Server()
	}
	// A report of a day still running covers it up to now.
	if now := opts.Now(); now.Before(to) && now.After(from) {
		r.To = now
	}
	if src != nil {
		if err := r.incidents(ctx, src); err != nil {
			return nil, err
		}
		r.IncidentsKnown = true
	}
	if err := r.prometheus(ctx, prom); err != nil {
		return nil, err
	}
	r.attention()
	return r, nil
}

// median of xs (which it sorts); NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sortFloats(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// DiskWarnDays is the days-to-full below which a filesystem needs attention.
func (r *Report) DiskWarnDays() float64 { return r.opts.DiskWarnDays }

// Until is the end of the reported span as a clock time, 24:00 for a whole
// day.
func (r *Report) Until() string {
	if !r.To.Before(r.From.AddDate(0, 0, 1)) {
		return "24:00"
	}
	return r.To.In(r.Location).Format("15:04")
}
