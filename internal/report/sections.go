package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/promclient"
)

func (r *Report) filesystems(p func(string) []promclient.Point) {
	labels := []string{"instance", "mountpoint", "device"}
	avail := byKey(p("fs_avail"), labels...)
	now := byKey(p("fs_now"), labels...)
	day := byKey(p("fs_day"), labels...)
	for _, pt := range p("fs_size") {
		k := key(pt.Labels, labels...)
		a, ok := avail[k]
		if !ok || pt.Value <= 0 {
			continue
		}
		fs := Filesystem{
			Instance: pt.Labels["instance"], Mountpoint: pt.Labels["mountpoint"], Device: pt.Labels["device"], FSType: pt.Labels["fstype"],
			Size: pt.Value, Avail: a, Used: 1 - a/pt.Value, GrowthPerDay: math.NaN(), DaysToFull: math.Inf(1),
		}
		p0, ok0 := now[k]
		p1, ok1 := day[k]
		if ok0 && ok1 {
			// Both ends of the day's least-squares line (predict_linear):
			// free space lost per day, and when the line reaches zero.
			fs.GrowthPerDay = p0 - p1
			if p1 < p0 {
				fs.DaysToFull = max(p0, 0) / (p0 - p1)
			}
		}
		r.Filesystems = append(r.Filesystems, fs)
	}
	sort.Slice(r.Filesystems, func(i, j int) bool {
		a, b := r.Filesystems[i], r.Filesystems[j]
		if a.DaysToFull != b.DaysToFull {
			return a.DaysToFull < b.DaysToFull
		}
		if a.Used != b.Used {
			return a.Used > b.Used
		}
		return a.Instance+a.Mountpoint < b.Instance+b.Mountpoint
	})
}

func (r *Report) services(p func(string) []promclient.Point) {
	active := byKey(p("unit_active"), "instance", "name")
	for _, pt := range p("unit_state") {
		name := strings.TrimSuffix(pt.Labels["name"], ".service")
		r.Services = append(r.Services, Service{Instance: pt.Labels["instance"], Name: name, State: pt.Labels["state"],
			Active: active[key(pt.Labels, "instance", "name")]})
	}
	avg := byKey(p("svc_avg"), "instance", "service")
	for _, pt := range p("svc_up") {
		state := "down"
		if pt.Value == 1 {
			state = "running"
		}
		r.Services = append(r.Services, Service{Instance: pt.Labels["instance"], Name: pt.Labels["service"], State: state,
			Active: avg[key(pt.Labels, "instance", "service")]})
	}
	sort.Slice(r.Services, func(i, j int) bool {
		a, b := r.Services[i], r.Services[j]
		if a.Active != b.Active {
			return a.Active < b.Active
		}
		return a.Instance+"\x00"+a.Name < b.Instance+"\x00"+b.Name
	})
}

// ServiceOK reports whether the service ran all day and runs now.
func (s Service) ServiceOK() bool {
	return s.Active >= 1 && (s.State == "active" || s.State == "running")
}

func (r *Report) databases(p func(string) []promclient.Point) {
	add := func(kind, up, avg, conns, peak, maxc string) {
		a := byKey(p(avg), "instance")
		c := byKey(p(conns), "instance")
		pk := byKey(p(peak), "instance")
		var m map[string]float64
		if maxc != "" {
			m = byKey(p(maxc), "instance")
		}
		for _, pt := range p(up) {
			inst := pt.Labels["instance"]
			r.Databases = append(r.Databases, Database{Kind: kind, Instance: inst, Up: pt.Value == 1,
				Availability: a[inst], Connections: c[inst], Peak: pk[inst], Max: m[inst]})
		}
	}
	add("postgresql", "pg_up", "pg_avg", "pg_conns", "pg_peak", "pg_max")
	add("redis", "redis_up", "redis_avg", "redis_conns", "redis_peak", "")
	sort.Slice(r.Databases, func(i, j int) bool {
		a, b := r.Databases[i], r.Databases[j]
		return a.Kind+"\x00"+a.Instance < b.Kind+"\x00"+b.Instance
	})
}

func (r *Report) backups(at time.Time, p func(string) []promclient.Point) {
	labels := []string{"instance", "backup"}
	size := byKey(p("bk_size"), labels...)
	ok := byKey(p("bk_ok"), labels...)
	restore := byKey(p("bk_restore"), labels...)
	offsite := byKey(p("bk_offsite"), labels...)
	age := func(ts float64, found bool) time.Duration {
		if !found {
			return NotWatched
		}
		if ts <= 0 {
			return -1
		}
		return at.Sub(time.Unix(0, int64(ts*1e9))).Truncate(time.Second)
	}
	for _, pt := range p("bk_time") {
		k := key(pt.Labels, labels...)
		rt, rok := restore[k]
		ot, ook := offsite[k]
		sz, found := size[k]
		if !found {
			sz = math.NaN()
		}
		b := Backup{Instance: pt.Labels["instance"], Name: pt.Labels["backup"], Age: age(pt.Value, true), Size: sz,
			ChecksumOK: ok[k] == 1, MaxAge: r.opts.BackupMaxAge, RestoreTestAge: age(rt, rok), OffsiteAge: age(ot, ook)}
		b.Stale = b.Age < 0 || b.Age > r.opts.BackupMaxAge
		r.Backups = append(r.Backups, b)
	}
	sort.Slice(r.Backups, func(i, j int) bool {
		a, b := r.Backups[i], r.Backups[j]
		return a.Name+"\x00"+a.Instance < b.Name+"\x00"+b.Instance
	})
}

func (r *Report) certificates(at time.Time, pts []promclient.Point) {
	for _, pt := range pts {
		exp := time.Unix(int64(pt.Value), 0).In(r.Location)
		days := exp.Sub(at).Hours() / 24
		if days >= r.opts.CertWarnDays {
			continue
		}
		r.Certificates = append(r.Certificates, Certificate{Instance: pt.Labels["instance"], Expires: exp, DaysLeft: days})
	}
	sort.Slice(r.Certificates, func(i, j int) bool { return r.Certificates[i].DaysLeft < r.Certificates[j].DaysLeft })
}

func (r *Report) probes(avg, now []promclient.Point) {
	cur := byKey(now, "instance", "module")
	for _, pt := range avg {
		if pt.Value >= 1 {
			continue
		}
		r.Probes = append(r.Probes, Probe{Instance: pt.Labels["instance"], Success: pt.Value,
			SucceedingNow: cur[key(pt.Labels, "instance", "module")] == 1})
	}
	sort.Slice(r.Probes, func(i, j int) bool { return r.Probes[i].Success < r.Probes[j].Success })
}

// alertStats counts firing periods in ALERTS{alertstate="firing"} sampled
// at step: a period starts at the first sample of a series and after every
// gap of more than one step.
func alertStats(series []promclient.Series, step time.Duration, flapMin int) []AlertStat {
	by := map[string]*AlertStat{}
	for _, s := range series {
		name := s.Labels["alertname"]
		a, ok := by[name]
		if !ok {
			a = &AlertStat{Name: name, Severity: s.Labels["severity"]}
			by[name] = a
		}
		a.Series++
		firings := 0
		var last time.Time
		for _, smp := range s.Samples {
			if last.IsZero() || smp.Time.Sub(last) > step {
				firings++
			}
			last = smp.Time
		}
		a.Firings += firings
		a.Firing += time.Duration(len(s.Samples)) * step
		a.MaxFirings = max(a.MaxFirings, firings)
	}
	out := make([]AlertStat, 0, len(by))
	for _, a := range by {
		a.Flapping = a.MaxFirings >= flapMin
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Firings != out[j].Firings {
			return out[i].Firings > out[j].Firings
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// charts keeps the chartTop hosts or filesystems with the highest peaks:
// a chart of fifty lines says nothing.
func (r *Report) charts(s func(string) []promclient.Series) {
	line := func(id, title, key string, name func(map[string]string) string) {
		ss := s(key)
		if len(ss) == 0 {
			return
		}
		n := int(r.To.Sub(r.From) / r.opts.Step)
		type ranked struct {
			ChartSeries
			peak float64
		}
		var all []ranked
		for _, sr := range ss {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = math.NaN()
			}
			peak := math.Inf(-1)
			for _, smp := range sr.Samples {
				i := int(smp.Time.Sub(r.From) / r.opts.Step)
				if i >= 0 && i < n {
					vals[i] = smp.Value * 100
					peak = max(peak, smp.Value)
				}
			}
			all = append(all, ranked{ChartSeries{Name: name(sr.Labels), Values: vals}, peak})
		}
		sort.SliceStable(all, func(i, j int) bool {
			if all[i].peak != all[j].peak {
				return all[i].peak > all[j].peak
			}
			return all[i].Name < all[j].Name
		})
		c := Chart{ID: id, Title: title, Unit: "percent", Start: r.From, Step: r.opts.Step}
		if len(all) > chartTop {
			c.Title += fmt.Sprintf(" (top %d of %d)", chartTop, len(all))
			all = all[:chartTop]
		}
		for _, a := range all {
			c.Series = append(c.Series, a.ChartSeries)
		}
		r.Charts = append(r.Charts, c)
	}
	inc := Chart{ID: "incidents", Title: "Incidents opened per hour", Unit: "count", Bars: true, Start: r.From, Step: time.Hour}
	hours := len(r.Incidents.OpenedByHour["P0"])
	for h := range hours {
		inc.Labels = append(inc.Labels, r.From.Add(time.Duration(h)*time.Hour).In(r.Location).Format("15"))
	}
	if r.Incidents.Total.Opened > 0 {
		for _, g := range Grades {
			vals := make([]float64, hours)
			for i, v := range r.Incidents.OpenedByHour[g] {
				vals[i] = float64(v)
			}
			inc.Series = append(inc.Series, ChartSeries{Name: g, Values: vals})
		}
		r.Charts = append(r.Charts, inc)
	}
	line("cpu", "CPU usage %", "cpu_chart", func(l map[string]string) string { return l["instance"] })
	line("memory", "Memory usage %", "mem_chart", func(l map[string]string) string { return l["instance"] })
	line("disk", "Disk usage %", "disk_chart", func(l map[string]string) string { return l["instance"] + " " + l["mountpoint"] })
}

// attention lists what needs a person, most urgent first.
func (r *Report) attention() {
	add := func(format string, args ...any) { r.Attention = append(r.Attention, fmt.Sprintf(format, args...)) }
	t := r.Incidents.Total
	for _, g := range r.Incidents.ByGrade {
		if g.Open > 0 && (g.Priority == "P0" || g.Priority == "P1") {
			add("%d %s incident(s) still open", g.Open, g.Priority)
		}
	}
	if n := len(r.Breaches); n > 0 {
		add("%d SLA breach(es)", n)
	}
	if t.Opened > 0 {
		add("%d incident(s) opened, %d resolved", t.Opened, t.Resolved)
	}
	for _, tg := range r.Targets {
		if !tg.UpNow {
			add("target %s (%s) is down", tg.Instance, tg.Job)
		}
	}
	for _, s := range r.Services {
		if !s.ServiceOK() {
			add("service %s on %s: %s (active %.0f%% of the day)", s.Name, s.Instance, s.State, s.Active*100)
		}
	}
	for _, d := range r.Databases {
		if !d.Up {
			add("%s %s is down", d.Kind, d.Instance)
		}
	}
	for _, b := range r.Backups {
		switch {
		case b.Age < 0:
			add("backup %s on %s: no backup file", b.Name, b.Instance)
		case b.Stale:
			add("backup %s on %s is %s old (threshold %s)", b.Name, b.Instance, Duration(b.Age), Duration(b.MaxAge))
		}
		if b.Age >= 0 && !b.ChecksumOK {
			add("backup %s on %s failed its checksum", b.Name, b.Instance)
		}
	}
	for _, c := range r.Certificates {
		add("certificate of %s expires in %.0f days", c.Instance, math.Floor(c.DaysLeft))
	}
	for _, f := range r.Filesystems {
		if f.DaysToFull < r.opts.DiskWarnDays {
			add("%s %s full in %.1f days at today's rate", f.Instance, f.Mountpoint, f.DaysToFull)
		}
	}
	for _, p := range r.Probes {
		if !p.SucceedingNow {
			add("probe %s is failing", p.Instance)
		}
	}
	for _, a := range r.Alerts {
		if a.Flapping {
			add("alert %s is flapping (%d firings)", a.Name, a.Firings)
		}
	}
	if len(r.Alerts) > 0 && t.Opened == 0 {
		add("%d alert firing(s)", r.Firings())
	}
}

// NotWatched is the age of something the exporter does not watch (a backup
// without restore_marker or offsite_path).
const NotWatched = time.Duration(math.MinInt64)

// Duration prints d the way people read ages: 3d4h, 26h, 5m; "never" for
// a negative age, "–" for NotWatched.
func Duration(d time.Duration) string {
	if d == NotWatched {
		return "–"
	}
	if d < 0 {
		return "never"
	}
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
}
