package report_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/promclient"
	"github.com/golive-ops/golive/internal/report"
	"github.com/golive-ops/golive/internal/report/reporttest"
)

// BenchmarkBuild50Hosts builds a report over 24 h of 50 hosts' node_*
// history (scraped every minute, backfilled into a real Prometheus),
// renders its charts, HTML and text and encodes the mail.
func BenchmarkBuild50Hosts(b *testing.B) {
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	from, to := day, day.AddDate(0, 0, 1)
	h := &reporttest.History{Interval: time.Minute}
	for i := range 50 {
		l := fmt.Sprintf(`instance="host-%02d:9100",job="node"`, i)
		slope := float64(i+1) * 1e6
		h.Add("up", l, from, to, reporttest.Const(1))
		h.Add("node_boot_time_seconds", l, from, to, reporttest.Const(float64(day.AddDate(0, 0, -3).Unix())))
		for _, m := range []string{"node_load1", "node_load5", "node_load15"} {
			h.Add(m, l, from, to, func(t time.Time) (float64, bool) { return float64(t.Hour()%4) / 2, true })
		}
		for _, cpu := range []string{"0", "1"} {
			h.Add("node_cpu_seconds_total", l+`,cpu="`+cpu+`",mode="idle"`, from, to, func(t time.Time) (float64, bool) {
				return 0.6 * t.Sub(from).Seconds(), true
			})
		}
		h.Add("node_memory_MemTotal_bytes", l, from, to, reporttest.Const(16<<30))
		h.Add("node_memory_MemAvailable_bytes", l, from, to, func(t time.Time) (float64, bool) {
			return 8<<30 - slope*t.Sub(from).Hours(), true
		})
		for _, mp := range []string{"/", "/var"} {
			fs := l + `,device="/dev/sd` + mp + `",fstype="ext4",mountpoint="` + mp + `"`
			h.Add("node_filesystem_size_bytes", fs, from, to, reporttest.Const(200<<30))
			h.Add("node_filesystem_avail_bytes", fs, from, to, func(t time.Time) (float64, bool) {
				return 100<<30 - slope*t.Sub(from).Hours(), true
			})
		}
		for _, m := range []string{"node_network_receive_bytes_total", "node_network_transmit_bytes_total"} {
			h.Add(m, l+`,device="eth0"`, from, to, func(t time.Time) (float64, bool) { return 5e4 * t.Sub(from).Seconds(), true })
		}
		h.Add("node_systemd_unit_state", l+`,name="nginx.service",state="active",type="simple"`, from, to, reporttest.Const(1))
	}
	url := reporttest.StartPrometheus(b, h)
	prom, err := promclient.New(promclient.Options{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	opts := report.Options{Day: day.Add(12 * time.Hour), Location: time.UTC, Now: func() time.Time { return to.Add(time.Hour) }}
	b.ResetTimer()
	for b.Loop() {
		r, err := report.Build(context.Background(), prom, nil, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Hosts) != 50 || len(r.Warnings) > 0 {
			b.Fatalf("%d hosts, warnings %q", len(r.Hosts), r.Warnings)
		}
		msg, err := r.Mail(nil, nil, "bench@golive")
		if err != nil {
			b.Fatal(err)
		}
		raw, err := msg.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(msg.HTML)), "html-bytes")
		b.ReportMetric(float64(len(raw)), "mail-bytes")
	}
}
