package host

import (
	"errors"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// timex (adjtimex(2) in read-only mode), with node_exporter's names and
// conversions: what the node-mixin's clock skew and NTP alerts read.
var (
	timexOffsetDesc     = desc("node_timex_offset_seconds", "Time offset in between local system and reference clock.")
	timexFreqDesc       = desc("node_timex_frequency_adjustment_ratio", "Local clock frequency adjustment.")
	timexMaxerrorDesc   = desc("node_timex_maxerror_seconds", "Maximum error in seconds.")
	timexEsterrorDesc   = desc("node_timex_estimated_error_seconds", "Estimated error in seconds.")
	timexStatusDesc     = desc("node_timex_status", "Value of the status array bits.")
	timexConstantDesc   = desc("node_timex_loop_time_constant", "Phase-locked loop time constant.")
	timexTickDesc       = desc("node_timex_tick_seconds", "Seconds between clock ticks.")
	timexPPSFreqDesc    = desc("node_timex_pps_frequency_hertz", "Pulse per second frequency.")
	timexJitterDesc     = desc("node_timex_pps_jitter_seconds", "Pulse per second jitter.")
	timexShiftDesc      = desc("node_timex_pps_shift_seconds", "Pulse per second interval duration.")
	timexStabilDesc     = desc("node_timex_pps_stability_hertz", "Pulse per second stability, average of recent frequency changes.")
	timexJitcntDesc     = desc("node_timex_pps_jitter_total", "Pulse per second count of jitter limit exceeded events.")
	timexCalcntDesc     = desc("node_timex_pps_calibration_total", "Pulse per second count of calibration intervals.")
	timexErrcntDesc     = desc("node_timex_pps_error_total", "Pulse per second count of calibration errors.")
	timexStbcntDesc     = desc("node_timex_pps_stability_exceeded_total", "Pulse per second count of stability limit exceeded events.")
	timexTAIDesc        = desc("node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.")
	timexSyncStatusDesc = desc("node_timex_sync_status", "Is clock synchronized to a reliable server (1 = yes, 0 = no).")
	timexOverflowDesc   = desc("node_timex_offset_overflow_total", "Count of adjtimex() offset readings indicating kernel overflow (|offset| > 4s). See https://github.com/prometheus/node_exporter/issues/3764")
)

const (
	timeError = 5      // adjtimex's TIME_ERROR: the clock is not synchronised
	staNano   = 0x2000 // STA_NANO: offset and jitter are in ns, else µs
	// Frequencies are ppm with a 16-bit fraction (adjtimex(2), NOTES).
	ppm16frac = 1000000.0 * 65536.0
	// An |offset| beyond this is the kernel's 2^32 ns overflow on KVM
	// clocks, not a real skew (node_exporter issue 3764).
	offsetOverflowSeconds = 4.0
)

type timexReading struct {
	state int
	unix.Timex
}

func readTimex() (timexReading, error) {
	var r timexReading
	var err error
	r.state, err = unix.Adjtimex(&r.Timex) // modes 0: read only
	return r, err
}

func newTimexCollector(logger *slog.Logger) simple {
	var overflows atomic.Uint64
	return simple{name: Timex, update: func(ch chan<- prometheus.Metric) error {
		r, err := readTimex()
		if errors.Is(err, os.ErrPermission) {
			// seccomp profiles that forbid adjtimex: no data, as node_exporter.
			logger.Debug("not collecting timex metrics", "err", err)
			return errNoData
		}
		if err != nil {
			return err
		}
		emitTimex(ch, r, &overflows)
		return nil
	}}
}

func emitTimex(ch chan<- prometheus.Metric, r timexReading, overflows *atomic.Uint64) {
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	divisor := 1e6
	if r.Status&staNano != 0 {
		divisor = 1e9
	}
	synced := 1.0
	if r.state == timeError {
		synced = 0
	}
	offset := float64(r.Offset) / divisor
	if offset > offsetOverflowSeconds || offset < -offsetOverflowSeconds {
		overflows.Add(1)
	}
	gauge(timexSyncStatusDesc, synced)
	gauge(timexOffsetDesc, offset)
	counter(timexOverflowDesc, float64(overflows.Load()))
	gauge(timexFreqDesc, 1+float64(r.Freq)/ppm16frac)
	gauge(timexMaxerrorDesc, float64(r.Maxerror)/1e6)
	gauge(timexEsterrorDesc, float64(r.Esterror)/1e6)
	gauge(timexStatusDesc, float64(r.Status))
	gauge(timexConstantDesc, float64(r.Constant))
	gauge(timexTickDesc, float64(r.Tick)/1e6)
	gauge(timexPPSFreqDesc, float64(r.Ppsfreq)/ppm16frac)
	gauge(timexJitterDesc, float64(r.Jitter)/divisor)
	gauge(timexShiftDesc, float64(r.Shift))
	gauge(timexStabilDesc, float64(r.Stabil)/ppm16frac)
	counter(timexJitcntDesc, float64(r.Jitcnt))
	counter(timexCalcntDesc, float64(r.Calcnt))
	counter(timexErrcntDesc, float64(r.Errcnt))
	counter(timexStbcntDesc, float64(r.Stbcnt))
	gauge(timexTAIDesc, float64(r.Tai))
}
