package dailyreport

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"mime/quotedprintable"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/report/reporttest"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/sqlite"
)

// scenario is one synthetic day D (UTC) and the day before it: metric
// history served by a real Prometheus and incidents in a real store, with
// the figures the report must show computed here from the same inputs.
type scenario struct {
	day, end time.Time // D 00:00 and D+1 00:00
	hosts    []string
	incs     []store.Incident
}

const (
	gib          = 1 << 30
	mib          = 1 << 20
	fsSize       = 100 * gib
	fsAvail0     = 30 * gib // free at D-1 00:00
	fsLossPerDay = 2 * gib  // free space lost per day on host-1 /
	memTotal     = 8 * gib
	memAvail0    = 4 * gib
	memGrowth    = 100 * mib // used memory gained per day
	certDays     = 10        // the probed certificate expires 10 days after D ends
)

func newScenario() *scenario {
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -2)
	return &scenario{day: day, end: day.AddDate(0, 0, 1), hosts: []string{"host-1:9100", "host-2:9100", "host-3:9100"}}
}

// fsAvail is host-1's free space on / at t.
func (s *scenario) fsAvail(t time.Time) float64 {
	return fsAvail0 - fsLossPerDay*t.Sub(s.day.AddDate(0, 0, -1)).Hours()/24
}

// down is host-3's outage on D: 10:00 to 12:00.
func (s *scenario) down(t time.Time) bool {
	return !t.Before(s.day.Add(10*time.Hour)) && t.Before(s.day.Add(12*time.Hour))
}

// highCPU fires four times on D (flapping) and once the day before.
func (s *scenario) highCPU(t time.Time) bool {
	for _, start := range []time.Duration{1 * time.Hour, 3 * time.Hour, 5 * time.Hour, 7 * time.Hour} {
		if !t.Before(s.day.Add(start)) && t.Before(s.day.Add(start+20*time.Minute)) {
			return true
		}
	}
	prev := s.day.AddDate(0, 0, -1).Add(9 * time.Hour)
	return !t.Before(prev) && t.Before(prev.Add(30*time.Minute))
}

func (s *scenario) history() *reporttest.History {
	h := &reporttest.History{Interval: time.Minute}
	from, to := s.day.AddDate(0, 0, -1), s.end
	for i, inst := range s.hosts {
		l := fmt.Sprintf(`instance="%s",job="node"`, inst)
		h.Add("up", l, from, to, func(t time.Time) (float64, bool) {
			if inst == "host-3:9100" && s.down(t) {
				return 0, true
			}
			return 1, true
		})
		h.Add("node_boot_time_seconds", l, from, to, reporttest.Const(float64(s.day.AddDate(0, 0, -10).Unix())))
		h.Add("node_load1", l, from, to, reporttest.Const(0.5+float64(i)))
		h.Add("node_load5", l, from, to, reporttest.Const(0.4))
		h.Add("node_load15", l, from, to, reporttest.Const(0.3))
		// Two CPUs: idle 1.5 s/s of 2 ⇒ 25 % busy.
		for _, cpu := range []string{"0", "1"} {
			h.Add("node_cpu_seconds_total", l+`,cpu="`+cpu+`",mode="idle"`, from, to, func(t time.Time) (float64, bool) {
				return 0.75 * t.Sub(from).Seconds(), true
			})
		}
		h.Add("node_memory_MemTotal_bytes", l, from, to, reporttest.Const(memTotal))
		h.Add("node_memory_MemAvailable_bytes", l, from, to, func(t time.Time) (float64, bool) {
			return memAvail0 - memGrowth*t.Sub(from).Hours()/24, true
		})
		fs := l + `,device="/dev/sda1",fstype="ext4",mountpoint="/"`
		h.Add("node_filesystem_size_bytes", fs, from, to, reporttest.Const(fsSize))
		h.Add("node_filesystem_avail_bytes", fs, from, to, func(t time.Time) (float64, bool) {
			if i == 0 {
				return s.fsAvail(t), true
			}
			return 60 * gib, true
		})
		h.Add("node_filesystem_avail_bytes", l+`,device="tmpfs",fstype="tmpfs",mountpoint="/run"`, from, to, reporttest.Const(1*gib))
		h.Add("node_filesystem_size_bytes", l+`,device="tmpfs",fstype="tmpfs",mountpoint="/run"`, from, to, reporttest.Const(2*gib))
		h.Add("node_network_receive_bytes_total", l+`,device="eth0"`, from, to, func(t time.Time) (float64, bool) {
			return 1000 * t.Sub(from).Seconds(), true // 8 kbit/s
		})
		h.Add("node_network_transmit_bytes_total", l+`,device="eth0"`, from, to, func(t time.Time) (float64, bool) {
			return 500 * t.Sub(from).Seconds(), true
		})
		for _, state := range []string{"active", "failed"} {
			h.Add("node_systemd_unit_state", l+`,name="nginx.service",state="`+state+`",type="simple"`, from, to, func(t time.Time) (float64, bool) {
				// nginx on host-2 fails for the last 6 hours of D.
				failed := inst == "host-2:9100" && !t.Before(s.end.Add(-6*time.Hour))
				if (state == "failed") == failed {
					return 1, true
				}
				return 0, true
			})
		}
	}
	pg := `instance="db-1:5432",job="postgres"`
	h.Add("pg_up", pg, from, to, reporttest.Const(1))
	h.Add("pg_stat_activity_count", pg+`,datname="app",state="active"`, from, to, reporttest.Const(5))
	h.Add("pg_stat_activity_count", pg+`,datname="app",state="idle"`, from, to, reporttest.Const(10))
	h.Add("pg_settings_max_connections", pg, from, to, reporttest.Const(100))
	rd := `instance="cache-1:6379",job="redis"`
	h.Add("redis_up", rd, from, to, reporttest.Const(1))
	h.Add("redis_connected_clients", rd, from, to, reporttest.Const(7))
	bk := `instance="db-1:9100",job="node"`
	// db: newest file written 30 h before D ends (stale against 26 h),
	// checksum fine; files: fresh but its checksum failed.
	h.Add("golive_backup_newest_timestamp_seconds", bk+`,backup="db"`, from, to, reporttest.Const(float64(s.end.Add(-30*time.Hour).Unix())))
	h.Add("golive_backup_checksum_ok", bk+`,backup="db"`, from, to, reporttest.Const(1))
	h.Add("golive_backup_newest_timestamp_seconds", bk+`,backup="files"`, from, to, reporttest.Const(float64(s.end.Add(-2*time.Hour).Unix())))
	h.Add("golive_backup_checksum_ok", bk+`,backup="files"`, from, to, reporttest.Const(0))
	h.Add("probe_ssl_earliest_cert_expiry", `instance="https://shop.example",job="blackbox"`, from, to,
		reporttest.Const(float64(s.end.AddDate(0, 0, certDays).Unix())))
	h.Add("probe_ssl_earliest_cert_expiry", `instance="https://far.example",job="blackbox"`, from, to,
		reporttest.Const(float64(s.end.AddDate(0, 0, 200).Unix())))
	h.Add("ALERTS", `alertname="HighCPU",alertstate="firing",instance="host-1:9100",severity="warning"`, from, to, func(t time.Time) (float64, bool) {
		return 1, s.highCPU(t)
	})
	h.Add("ALERTS", `alertname="ServiceDown",alertstate="firing",instance="host-2:9100",severity="critical"`, from, to, func(t time.Time) (float64, bool) {
		return 1, !t.Before(s.end.Add(-6 * time.Hour))
	})
	return h
}

// incidents: six on D, one opened the day before and resolved on D, two
// only the day before.
func (s *scenario) incidents() []store.Incident {
	d := s.day
	at := func(h, m int) time.Time { return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	mk := func(p store.Priority, opened time.Time, ack, resolved time.Duration) store.Incident {
		inc := store.Incident{Title: "incident " + string(p), Priority: p, State: store.StateNew, OpenedAt: opened}
		if ack > 0 {
			inc.AcknowledgedAt = opened.Add(ack)
			inc.State = store.StateAcknowledged
		}
		if resolved > 0 {
			inc.ResolvedAt = opened.Add(resolved)
			inc.State = store.StateResolved
		}
		return inc
	}
	minute := time.Minute
	incs := []store.Incident{
		mk(store.P0, at(1, 0), 4*minute, 50*minute),
		mk(store.P0, at(3, 0), 10*minute, 0),
		mk(store.P1, at(5, 0), 20*minute, 2*time.Hour),
		mk(store.P2, at(7, 0), 1*time.Hour, 3*time.Hour),
		mk(store.P2, at(9, 30), 0, 0),
		mk(store.P3, at(20, 0), 0, 30*minute),
		// Opened the day before, acknowledged and resolved on D.
		mk(store.P1, d.Add(-2*time.Hour), 3*time.Hour, 5*time.Hour),
		// Only the day before.
		mk(store.P2, d.Add(-20*time.Hour), 5*minute, 1*time.Hour),
		mk(store.P3, d.Add(-10*time.Hour), 0, 2*time.Hour),
	}
	// The second P0 missed its response deadline.
	incs[1].ResponseBreachedAt = at(3, 15)
	for i := range incs {
		incs[i].GroupKey = fmt.Sprintf("group-%d", i)
		incs[i].Labels = map[string]string{"alertname": "A"}
		incs[i].Cycle = 1
		incs[i].UpdatedAt = incs[i].OpenedAt
	}
	return incs
}

func (s *scenario) openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s.fill(t, st)
	return st
}

// fill stores the scenario's incidents in st.
func (s *scenario) fill(t testing.TB, st store.Store) {
	t.Helper()
	s.incs = s.incidents()
	err := st.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for i := range s.incs {
			if err := tx.CreateIncident(ctx, &s.incs[i]); err != nil {
				return err
			}
			if err := tx.UpdateIncident(ctx, s.incs[i]); err != nil {
				return err
			}
		}
		// A restart that ran on D for the first P0, and one the day before.
		for i, r := range []store.Remediation{
			{Action: "restart-web", Kind: "exec", State: store.RemediationSucceeded, IncidentID: s.incs[0].ID,
				CreatedAt: s.day.Add(time.Hour + time.Minute), FinishedAt: s.day.Add(time.Hour + 2*time.Minute)},
			{Action: "restart-web", Kind: "exec", State: store.RemediationFailed, Reason: "exit status 1", IncidentID: s.incs[7].ID,
				CreatedAt: s.day.Add(-19 * time.Hour), FinishedAt: s.day.Add(-19 * time.Hour)},
		} {
			r.Key = fmt.Sprintf("rem-%d", i)
			r.Cycle, r.Target, r.Trigger, r.UpdatedAt = 1, "web", "opened", r.CreatedAt
			r.Request = []byte(`{}`)
			if _, err := tx.InsertRemediation(ctx, &r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// expected are the incident figures of [from, to) computed from the
// scenario's own incidents, independently of internal/report.
type expected struct {
	opened, resolved         int
	mttaMean, mttaMedian     float64 // seconds
	mttrMean, mttrMedian     float64
	openedByGrade            map[store.Priority]int
	responseBreachesP0Within int
}

func (s *scenario) expect(from, to time.Time) expected {
	e := expected{openedByGrade: map[store.Priority]int{}}
	var acks, res []float64
	within := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	for _, inc := range s.incs {
		if within(inc.OpenedAt) {
			e.opened++
			e.openedByGrade[inc.Priority]++
		}
		if within(inc.AcknowledgedAt) {
			acks = append(acks, inc.AcknowledgedAt.Sub(inc.OpenedAt).Seconds())
		}
		if within(inc.ResolvedAt) {
			e.resolved++
			res = append(res, inc.ResolvedAt.Sub(inc.OpenedAt).Seconds())
		}
		if inc.Priority == store.P0 && within(inc.ResponseBreachedAt) {
			e.responseBreachesP0Within++
		}
	}
	avg := func(xs []float64) float64 {
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		return sum / float64(len(xs))
	}
	med := func(xs []float64) float64 {
		ys := slices.Clone(xs)
		sort.Float64s(ys)
		if len(ys)%2 == 1 {
			return ys[len(ys)/2]
		}
		return (ys[len(ys)/2-1] + ys[len(ys)/2]) / 2
	}
	e.mttaMean, e.mttaMedian = avg(acks), med(acks)
	e.mttrMean, e.mttrMedian = avg(res), med(res)
	return e
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func storePriority(p string) store.Priority { return store.Priority(p) }

func decodeBase64(raw []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
}

func quotedPrintable(raw []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(raw)) }
