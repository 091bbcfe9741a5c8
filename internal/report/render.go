package report

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-analyze/charts"
)

// Subject is the mail's subject line.
func (r *Report) Subject() string {
	if r.Quiet() {
		return "golive daily report " + r.Date + ": quiet day"
	}
	return fmt.Sprintf("golive daily report %s: %d item(s) need attention", r.Date, len(r.Attention))
}

// Headline is the one line at the top.
func (r *Report) Headline() string {
	if r.Quiet() {
		return "Quiet day: no incidents, no alerts firing, every target, service, database, backup and certificate fine."
	}
	return fmt.Sprintf("%d item(s) need attention.", len(r.Attention))
}

// Secs formats seconds as a duration, "–" for NaN.
func Secs(s float64) string {
	if math.IsNaN(s) {
		return "–"
	}
	return Duration(time.Duration(s * float64(time.Second)))
}

// Bytes formats a byte count with binary units.
func Bytes(b float64) string {
	if math.IsNaN(b) {
		return "–"
	}
	sign := ""
	if b < 0 {
		sign, b = "-", -b
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%s%.0f B", sign, b)
	}
	return fmt.Sprintf("%s%.1f %s", sign, b, units[i])
}

// Bits formats bits per second.
func Bits(b float64) string {
	units := []string{"bit/s", "kbit/s", "Mbit/s", "Gbit/s"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// Pct formats a fraction as a percentage.
func Pct(f float64) string {
	if math.IsNaN(f) {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", f*100)
}

// Days formats days to full.
func Days(d float64) string {
	if math.IsInf(d, 1) || math.IsNaN(d) {
		return "not filling"
	}
	return fmt.Sprintf("%.1f", d)
}

// Delta formats a change against the previous day.
func Delta(now, prev int) string {
	switch {
	case now > prev:
		return fmt.Sprintf("+%d", now-prev)
	case now < prev:
		return fmt.Sprintf("−%d", prev-now)
	}
	return "±0"
}

var funcs = template.FuncMap{
	"secs": Secs, "bytes": Bytes, "bits": Bits, "pct": Pct, "days": Days, "delta": Delta, "dur": Duration,
	"clock": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") },
	"gt":    func(a, b float64) bool { return a > b },
	"hours": func(d time.Duration) string { return Duration(d) },
}

// RenderText is the plain-text part: every figure of the HTML part.
func (r *Report) RenderText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "golive daily report for %s (%s)\n%s\n\n", r.Date, r.Location, r.Headline())
	for _, a := range r.Attention {
		fmt.Fprintf(&b, "  * %s\n", a)
	}
	if len(r.Attention) > 0 {
		b.WriteString("\n")
	}
	tw := func(title string, header string, rows [][]string) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s\n", title)
		w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "  "+header)
		for _, row := range rows {
			fmt.Fprintln(w, "  "+strings.Join(row, "\t"))
		}
		w.Flush()
		b.WriteString("\n")
	}
	var rows [][]string
	if !r.IncidentsKnown {
		b.WriteString("No incident figures: built without the receiver (--receiver.url).\n\n")
	}
	for _, g := range append(r.Incidents.ByGrade, r.Incidents.Total) {
		if !r.IncidentsKnown {
			break
		}
		rows = append(rows, []string{g.Priority, fmt.Sprint(g.Opened), fmt.Sprint(g.Resolved), fmt.Sprint(g.Open),
			Secs(g.MTTAMean), Secs(g.MTTAMedian), Secs(g.MTTRMean), Secs(g.MTTRMedian), fmt.Sprint(g.ResponseBreaches + g.ResolutionBreaches)})
	}
	tw("Incidents", "grade\topened\tresolved\topen\tMTTA mean\tMTTA median\tMTTR mean\tMTTR median\tSLA breaches", rows)
	if r.IncidentsKnown {
		fmt.Fprintf(&b, "Changes against the previous day: incidents opened %d (%s), resolved %d (%s), alert firings %d (%s)\n\n",
			r.Incidents.Total.Opened, Delta(r.Incidents.Total.Opened, r.Previous.Total.Opened),
			r.Incidents.Total.Resolved, Delta(r.Incidents.Total.Resolved, r.Previous.Total.Resolved),
			r.Firings(), Delta(r.Firings(), r.PreviousFirings))
	} else {
		fmt.Fprintf(&b, "Alert firings: %d (%s against the previous day)\n\n", r.Firings(), Delta(r.Firings(), r.PreviousFirings))
	}
	rows = nil
	for _, br := range r.Breaches {
		rows = append(rows, []string{fmt.Sprintf("#%d", br.IncidentID), br.Priority, br.Kind, br.At.In(r.Location).Format("15:04"), br.Title})
	}
	tw("SLA breaches", "incident\tgrade\tdeadline\tat\ttitle", rows)
	rows = nil
	for _, a := range r.Alerts {
		flap := ""
		if a.Flapping {
			flap = "flapping"
		}
		rows = append(rows, []string{a.Name, a.Severity, fmt.Sprint(a.Firings), fmt.Sprint(a.Series), Duration(a.Firing), flap})
	}
	tw("Alerts (errors by alert)", "alert\tseverity\tfirings\tseries\tfiring for\t", rows)
	rows = nil
	for _, h := range r.Hosts {
		rows = append(rows, []string{h.Instance, Duration(h.Uptime), fmt.Sprintf("%.2f %.2f %.2f", h.Load1, h.Load5, h.Load15),
			fmt.Sprintf("%.2f", h.LoadPeak), Pct(h.CPUAvg), Pct(h.CPUPeak), Pct(h.MemUsed), Pct(h.MemPeak), Bytes(h.MemGrowthPerDay) + "/d"})
	}
	tw("Hosts", "host\tuptime\tload 1/5/15\tload peak\tCPU avg\tCPU peak\tmemory\tmemory peak\tmemory growth", rows)
	rows = nil
	for _, f := range r.Filesystems {
		rows = append(rows, []string{f.Instance, f.Mountpoint, f.Device, Pct(f.Used), Bytes(f.Avail), Bytes(f.Size), Bytes(f.GrowthPerDay) + "/d", Days(f.DaysToFull)})
	}
	tw("Disks", "host\tmount\tdevice\tused\tfree\tsize\tgrowth\tdays to full", rows)
	rows = nil
	for _, h := range r.Hosts {
		for _, i := range h.Interfaces {
			rows = append(rows, []string{h.Instance, i.Device, Bits(i.RxAvg), Bits(i.TxAvg), Bits(i.RxPeak), Bits(i.TxPeak)})
		}
	}
	tw("Network interfaces", "host\tdevice\trx avg\ttx avg\trx peak\ttx peak", rows)
	rows = nil
	for _, s := range r.Services {
		rows = append(rows, []string{s.Instance, s.Name, s.State, Pct(s.Active)})
	}
	tw("Services", "host\tservice\tstate\tactive", rows)
	rows = nil
	for _, d := range r.Databases {
		mx := "–"
		if d.Max > 0 {
			mx = fmt.Sprintf("%.0f", d.Max)
		}
		rows = append(rows, []string{d.Kind, d.Instance, upText(d.Up), Pct(d.Availability), fmt.Sprintf("%.0f", d.Connections), fmt.Sprintf("%.0f", d.Peak), mx})
	}
	tw("Databases", "kind\tinstance\tstate\tavailability\tconnections\tpeak\tmax", rows)
	rows = nil
	for _, bk := range r.Backups {
		rows = append(rows, []string{bk.Name, bk.Instance, Duration(bk.Age), Duration(bk.MaxAge), okText(bk.ChecksumOK), Bytes(bk.Size), Duration(bk.RestoreTestAge), Duration(bk.OffsiteAge), staleText(bk.Stale)})
	}
	tw("Backups", "backup\thost\tage\tthreshold\tchecksum\tsize\trestore test\toff-site\t", rows)
	rows = nil
	for _, c := range r.Certificates {
		rows = append(rows, []string{c.Instance, c.Expires.Format(time.DateOnly), fmt.Sprintf("%.1f", c.DaysLeft)})
	}
	tw("Certificates expiring", "target\texpires\tdays left", rows)
	rows = nil
	for _, t := range r.Targets {
		rows = append(rows, []string{t.Job, t.Instance, Pct(t.Availability), upText(t.UpNow)})
	}
	tw("Targets not up all day", "job\tinstance\tavailability\tnow", rows)
	rows = nil
	for _, p := range r.Probes {
		rows = append(rows, []string{p.Instance, Pct(p.Success), okText(p.SucceedingNow)})
	}
	tw("Probes that failed", "target\tsuccess\tnow", rows)
	if r.ActivityKnown {
		rows = nil
		for _, a := range r.Activity {
			rows = append(rows, []string{a.At.In(r.Location).Format("15:04"), a.Kind, a.Name, a.Outcome})
		}
		if len(rows) == 0 {
			b.WriteString("Rollouts and remediation: none\n\n")
		}
		tw("Rollouts and remediation", "at\tkind\tname\toutcome", rows)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	fmt.Fprintf(&b, "\nGenerated %s from %s.\n", r.GeneratedAt.In(r.Location).Format(time.RFC3339), r.Prometheus)
	return b.String()
}

func upText(up bool) string {
	if up {
		return "up"
	}
	return "DOWN"
}

func okText(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

func staleText(stale bool) string {
	if stale {
		return "STALE"
	}
	return ""
}

// Image is one inline PNG of the HTML part.
type Image struct {
	CID   string // Content-ID without brackets, e.g. cpu@golive
	Title string
	PNG   []byte
}

// RenderCharts draws every chart as a PNG (pure Go, no browser).
func (r *Report) RenderCharts() ([]Image, error) {
	out := make([]Image, 0, len(r.Charts))
	for _, c := range r.Charts {
		png, err := c.png(r.Location)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", c.ID, err)
		}
		out = append(out, Image{CID: c.ID + "@golive", Title: c.Title, PNG: png})
	}
	return out, nil
}

func (c Chart) png(loc *time.Location) ([]byte, error) {
	values := make([][]float64, len(c.Series))
	names := make([]string, len(c.Series))
	for i, s := range c.Series {
		names[i] = s.Name
		values[i] = make([]float64, len(s.Values))
		for j, v := range s.Values {
			if math.IsNaN(v) {
				v = charts.GetNullValue()
			}
			values[i][j] = v
		}
	}
	labels := c.Labels
	if labels == nil && len(values) > 0 {
		for i := range values[0] {
			labels = append(labels, c.Start.Add(time.Duration(i)*c.Step).In(loc).Format("15:04"))
		}
		// The day's end closes the axis, so nine labels fall on 00:00,
		// 03:00, ... 21:00 and the end (left blank: the library draws the
		// last label inside the plot, over the one before).
		labels = append(labels, "")
		for i := range values {
			values[i] = append(values[i], charts.GetNullValue())
		}
	}
	integer := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	// The title is the HTML's caption above the image: one title, never
	// overlapping the legend.
	opts := []charts.OptionFunc{
		charts.PNGOutputOptionFunc(),
		charts.DimensionsOptionFunc(640, 240),
		charts.LegendOptionFunc(charts.LegendOption{SeriesNames: names, Offset: charts.OffsetRight}),
		charts.PaddingOptionFunc(charts.Box{Top: 10, Left: 10, Right: 40, Bottom: 10}),
	}
	if c.Bars {
		// Whole numbers on the count axis: 0..top in at most six labels.
		top := 1.0
		for j := range labels {
			sum := 0.0
			for i := range values {
				sum += values[i][j]
			}
			top = max(top, sum)
		}
		count := int(top) + 1
		if top > 5 {
			top = math.Ceil(top/5) * 5
			count = 6
		}
		lo := 0.0
		opts = append(opts, charts.XAxisOptionFunc(charts.XAxisOption{Labels: labels, LabelCount: len(labels)}),
			charts.YAxisOptionFunc(charts.YAxisOption{Min: &lo, Max: &top, LabelCount: count, ValueFormatter: integer}),
			func(o *charts.ChartOption) { o.StackSeries = charts.Ptr(true) })
	} else {
		// One label every three hours.
		opts = append(opts, charts.XAxisOptionFunc(charts.XAxisOption{Labels: labels, LabelCount: 9}))
	}
	if c.Unit == "percent" {
		lo, hi := 0.0, 100.0
		opts = append(opts, charts.YAxisOptionFunc(charts.YAxisOption{Min: &lo, Max: &hi, LabelCount: 6, ValueFormatter: integer}))
	}
	var p *charts.Painter
	var err error
	if c.Bars {
		p, err = charts.BarRender(values, opts...)
	} else {
		p, err = charts.LineRender(values, opts...)
	}
	if err != nil {
		return nil, err
	}
	return p.Bytes()
}

// RenderHTML is the HTML part; images are referenced as cid:<Image.CID>
// (or by file name when cidPrefix is not "cid:", for a page on disk).
func (r *Report) RenderHTML(images []Image, src func(Image) string) (string, error) {
	if src == nil {
		src = func(im Image) string { return "cid:" + im.CID }
	}
	type img struct {
		Src   template.URL
		Title string
	}
	imgs := make([]img, len(images))
	for i, im := range images {
		imgs[i] = img{Src: template.URL(src(im)), Title: im.Title}
	}
	var b bytes.Buffer
	err := htmlTemplate.Execute(&b, struct {
		*Report
		Images []img
	}{r, imgs})
	return b.String(), err
}
