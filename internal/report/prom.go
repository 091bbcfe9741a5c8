package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/golive-ops/golive/internal/promclient"
)

// Target is a scrape target that was not up for the whole day.
type Target struct {
	Job, Instance string
	Availability  float64 // fraction of the day up
	UpNow         bool
}

// Host is one node_* instance.
type Host struct {
	Instance         string
	Uptime           time.Duration // 0: unknown
	Load1, Load5     float64
	Load15, LoadPeak float64
	CPUs             int
	CPUAvg, CPUPeak  float64 // fractions of all CPUs
	MemTotal         float64 // bytes
	MemUsed, MemPeak float64 // fractions
	MemGrowthPerDay  float64 // bytes of used memory gained per day (linear fit)
	Interfaces       []Interface
}

// Filesystem is one node_filesystem_* series set.
type Filesystem struct {
	Instance, Mountpoint, Device, FSType string
	Size, Avail                          float64 // bytes
	Used                                 float64 // fraction
	GrowthPerDay                         float64 // bytes of free space lost per day (predict_linear over the day)
	DaysToFull                           float64 // +Inf when not filling
}

// Interface is one network device's traffic over the day, in bits/s.
type Interface struct {
	Device         string
	RxAvg, TxAvg   float64
	RxPeak, TxPeak float64
}

// Service is one systemd unit or watched process.
type Service struct {
	Instance, Name string
	State          string  // active, failed, ... or up/down for processes
	Active         float64 // fraction of the day active
}

// Database is one PostgreSQL or Redis server.
type Database struct {
	Kind, Instance string // postgresql or redis
	Up             bool
	Availability   float64
	Connections    float64 // now: pg backends, Redis clients
	Peak           float64
	Max            float64 // max_connections (PostgreSQL), 0 unknown
}

// Backup is one golive_backup_* source.
type Backup struct {
	Instance, Name string
	Age            time.Duration // since the newest file; <0 none
	Size           float64
	ChecksumOK     bool
	Stale          bool // older than BackupMaxAge, or none
	MaxAge         time.Duration
	RestoreTestAge time.Duration // <0: never; NotWatched
	OffsiteAge     time.Duration // <0: none; NotWatched
}

// Certificate is a probed certificate near its expiry.
type Certificate struct {
	Instance string
	Expires  time.Time
	DaysLeft float64
}

// Probe is an endpoint probe that failed during the day.
type Probe struct {
	Instance      string
	Success       float64 // fraction of the day
	SucceedingNow bool
}

// AlertStat is one alert name's firings during the day (from Prometheus's
// ALERTS series, so alerts that never reached the receiver count too).
type AlertStat struct {
	Name, Severity string
	Firings        int // separate firing periods, over all its series
	Series         int
	Firing         time.Duration // time spent firing, summed over series
	// MaxFirings is the most firings of one series; at FlapMin or more the
	// alert is flapping.
	MaxFirings int
	Flapping   bool
}

// Chart is one chart's data; rendering makes a PNG of it.
type Chart struct {
	ID, Title string
	Unit      string // percent, count
	Start     time.Time
	Step      time.Duration
	Series    []ChartSeries
	Bars      bool
	Labels    []string // x labels for bar charts
}

// ChartSeries is one line or bar set.
type ChartSeries struct {
	Name   string
	Values []float64 // NaN: no data
}

// Filters shared by the filesystem queries: what df would show.
const fsFilter = `fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs|proc|sysfs|cgroup2?"`

// chartTop is how many hosts or filesystems one chart shows.
const chartTop = 5

type queryResult struct {
	points []promclient.Point
	series []promclient.Series
	err    error
}

func (r *Report) prometheus(ctx context.Context, prom Prometheus) error {
	at := r.To
	w := promDuration(r.To.Sub(r.From))
	// One cheap query first: an unreachable Prometheus fails the report
	// with that reason instead of twenty warnings.
	if _, _, err := prom.Query(ctx, "vector(1)", at); err != nil {
		return fmt.Errorf("%w: %w", ErrPrometheus, err)
	}
	instant := map[string]string{
		"up_avg":      `avg_over_time(up[` + w + `])`,
		"up":          `up`,
		"boot":        `node_boot_time_seconds`,
		"load1":       `node_load1`,
		"load5":       `node_load5`,
		"load15":      `node_load15`,
		"load_peak":   `max_over_time(node_load1[` + w + `])`,
		"cpus":        `count by (instance) (node_cpu_seconds_total{mode="idle"})`,
		"cpu_avg":     `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[` + w + `]))`,
		"cpu_peak":    `max_over_time((1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))[` + w + `:5m])`,
		"mem_total":   `node_memory_MemTotal_bytes`,
		"mem_used":    `1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes`,
		"mem_peak":    `max_over_time((1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)[` + w + `:5m])`,
		"mem_growth":  `deriv((node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)[` + w + `:5m]) * 86400`,
		"fs_size":     `node_filesystem_size_bytes{` + fsFilter + `}`,
		"fs_avail":    `node_filesystem_avail_bytes{` + fsFilter + `}`,
		"fs_now":      `predict_linear(node_filesystem_avail_bytes{` + fsFilter + `}[` + w + `], 0)`,
		"fs_day":      `predict_linear(node_filesystem_avail_bytes{` + fsFilter + `}[` + w + `], 86400)`,
		"rx_avg":      `rate(node_network_receive_bytes_total{device!="lo"}[` + w + `]) * 8`,
		"tx_avg":      `rate(node_network_transmit_bytes_total{device!="lo"}[` + w + `]) * 8`,
		"rx_peak":     `max_over_time(rate(node_network_receive_bytes_total{device!="lo"}[5m])[` + w + `:5m]) * 8`,
		"tx_peak":     `max_over_time(rate(node_network_transmit_bytes_total{device!="lo"}[5m])[` + w + `:5m]) * 8`,
		"unit_state":  `node_systemd_unit_state == 1`,
		"unit_active": `avg_over_time(node_systemd_unit_state{state="active"}[` + w + `])`,
		"svc_up":      `golive_service_up`,
		"svc_avg":     `avg_over_time(golive_service_up[` + w + `])`,
		"pg_up":       `pg_up`,
		"pg_avg":      `avg_over_time(pg_up[` + w + `])`,
		"pg_conns":    `sum by (instance) (pg_stat_activity_count)`,
		"pg_peak":     `max_over_time(sum by (instance) (pg_stat_activity_count)[` + w + `:5m])`,
		"pg_max":      `pg_settings_max_connections`,
		"redis_up":    `redis_up`,
		"redis_avg":   `avg_over_time(redis_up[` + w + `])`,
		"redis_conns": `redis_connected_clients`,
		"redis_peak":  `max_over_time(redis_connected_clients[` + w + `])`,
		"bk_time":     `golive_backup_newest_timestamp_seconds`,
		"bk_size":     `golive_backup_newest_size_bytes`,
		"bk_ok":       `golive_backup_checksum_ok`,
		"bk_restore":  `golive_backup_restore_test_timestamp_seconds`,
		"bk_offsite":  `golive_backup_offsite_newest_timestamp_seconds`,
		"cert":        `probe_ssl_earliest_cert_expiry`,
		"probe_avg":   `avg_over_time(probe_success[` + w + `])`,
		"probe":       `probe_success`,
	}
	ranges := map[string]struct {
		q        string
		from, to time.Time
	}{
		"alerts":      {`ALERTS{alertstate="firing"}`, r.From, r.To},
		"alerts_prev": {`ALERTS{alertstate="firing"}`, r.From.AddDate(0, 0, -1), r.From},
		"cpu_chart":   {`1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))`, r.From, r.To},
		"mem_chart":   {`1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes`, r.From, r.To},
		"disk_chart":  {`1 - node_filesystem_avail_bytes{` + fsFilter + `} / node_filesystem_size_bytes{` + fsFilter + `}`, r.From, r.To},
	}
	var mu sync.Mutex
	res := map[string]queryResult{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Parallel)
	for key, q := range instant {
		g.Go(func() error {
			pts, _, err := prom.Query(gctx, q, at)
			mu.Lock()
			res[key] = queryResult{points: pts, err: err}
			mu.Unlock()
			return nil
		})
	}
	for key, q := range ranges {
		g.Go(func() error {
			ss, _, err := prom.QueryRange(gctx, q.q, q.from, q.to.Add(-time.Nanosecond), r.opts.Step)
			mu.Lock()
			res[key] = queryResult{series: ss, err: err}
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrPrometheus, err)
	}
	keys := make([]string, 0, len(res))
	for k, v := range res {
		if v.err != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.Warnings = append(r.Warnings, res[k].err.Error())
	}
	p := func(key string) []promclient.Point { return res[key].points }
	s := func(key string) []promclient.Series { return res[key].series }

	r.targets(p("up_avg"), p("up"))
	r.hosts(at, p)
	r.filesystems(p)
	r.services(p)
	r.databases(p)
	r.backups(at, p)
	r.certificates(at, p("cert"))
	r.probes(p("probe_avg"), p("probe"))
	r.Alerts = alertStats(s("alerts"), r.opts.Step, r.opts.FlapMin)
	for _, a := range alertStats(s("alerts_prev"), r.opts.Step, r.opts.FlapMin) {
		r.PreviousFirings += a.Firings
	}
	r.charts(s)
	return nil
}

// promDuration formats d for a PromQL range selector.
func promDuration(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// byKey indexes points by the values of the given labels.
func byKey(pts []promclient.Point, labels ...string) map[string]float64 {
	m := make(map[string]float64, len(pts))
	for _, pt := range pts {
		m[key(pt.Labels, labels...)] = pt.Value
	}
	return m
}

func key(l map[string]string, labels ...string) string {
	k := ""
	for i, name := range labels {
		if i > 0 {
			k += "\x00"
		}
		k += l[name]
	}
	return k
}

func (r *Report) targets(avg, now []promclient.Point) {
	upNow := byKey(now, "job", "instance")
	for _, pt := range avg {
		if pt.Value >= 1 {
			continue
		}
		r.Targets = append(r.Targets, Target{Job: pt.Labels["job"], Instance: pt.Labels["instance"],
			Availability: pt.Value, UpNow: upNow[key(pt.Labels, "job", "instance")] == 1})
	}
	sort.Slice(r.Targets, func(i, j int) bool { return r.Targets[i].Availability < r.Targets[j].Availability })
}

func (r *Report) hosts(at time.Time, p func(string) []promclient.Point) {
	hosts := map[string]*Host{}
	get := func(inst string) *Host {
		h, ok := hosts[inst]
		if !ok {
			h = &Host{Instance: inst, CPUAvg: math.NaN(), CPUPeak: math.NaN(), MemUsed: math.NaN(), MemPeak: math.NaN(), MemGrowthPerDay: math.NaN()}
			hosts[inst] = h
		}
		return h
	}
	set := func(key string, fn func(h *Host, v float64)) {
		for _, pt := range p(key) {
			fn(get(pt.Labels["instance"]), pt.Value)
		}
	}
	set("load1", func(h *Host, v float64) { h.Load1 = v })
	set("boot", func(h *Host, v float64) { h.Uptime = at.Sub(time.Unix(int64(v), 0)) })
	set("load5", func(h *Host, v float64) { h.Load5 = v })
	set("load15", func(h *Host, v float64) { h.Load15 = v })
	set("load_peak", func(h *Host, v float64) { h.LoadPeak = v })
	set("cpus", func(h *Host, v float64) { h.CPUs = int(v) })
	set("cpu_avg", func(h *Host, v float64) { h.CPUAvg = v })
	set("cpu_peak", func(h *Host, v float64) { h.CPUPeak = v })
	set("mem_total", func(h *Host, v float64) { h.MemTotal = v })
	set("mem_used", func(h *Host, v float64) { h.MemUsed = v })
	set("mem_peak", func(h *Host, v float64) { h.MemPeak = v })
	set("mem_growth", func(h *Host, v float64) { h.MemGrowthPerDay = v })
	type ifKey struct{ instance, device string }
	ifaces := map[ifKey]*Interface{}
	for _, q := range []struct {
		key string
		set func(i *Interface, v float64)
	}{
		{"rx_avg", func(i *Interface, v float64) { i.RxAvg = v }},
		{"tx_avg", func(i *Interface, v float64) { i.TxAvg = v }},
		{"rx_peak", func(i *Interface, v float64) { i.RxPeak = v }},
		{"tx_peak", func(i *Interface, v float64) { i.TxPeak = v }},
	} {
		for _, pt := range p(q.key) {
			k := ifKey{pt.Labels["instance"], pt.Labels["device"]}
			i, ok := ifaces[k]
			if !ok {
				i = &Interface{Device: k.device}
				ifaces[k] = i
			}
			q.set(i, pt.Value)
		}
	}
	for k, i := range ifaces {
		h := get(k.instance)
		h.Interfaces = append(h.Interfaces, *i)
	}
	for _, h := range hosts {
		sort.Slice(h.Interfaces, func(a, b int) bool { return h.Interfaces[a].Device < h.Interfaces[b].Device })
		r.Hosts = append(r.Hosts, *h)
	}
	sort.Slice(r.Hosts, func(i, j int) bool { return r.Hosts[i].Instance < r.Hosts[j].Instance })
}
