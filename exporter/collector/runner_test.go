package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// fake is a collector whose Update is a function, for driving the runner.
type fake struct {
	name, target string
	update       func(ctx context.Context, ch chan<- prometheus.Metric) error
}

func (f fake) Name() string   { return f.name }
func (f fake) Target() string { return f.target }
func (f fake) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	return f.update(ctx, ch)
}

var upDesc = prometheus.NewDesc("fake_up", "Whether the fake answered.", []string{"target"}, nil)

func up(ch chan<- prometheus.Metric, target string, v float64) {
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, v, target)
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestRunnerReportsEachCollector(t *testing.T) {
	r := NewRunner([]Collector{
		fake{"ok", "a", func(ctx context.Context, ch chan<- prometheus.Metric) error { up(ch, "a", 1); return nil }},
		fake{"broken", "b", func(ctx context.Context, ch chan<- prometheus.Metric) error {
			up(ch, "b", 0)
			return errors.New("connection reset")
		}},
	}, discard())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r.Scrape(context.Background()))

	want := `
# HELP fake_up Whether the fake answered.
# TYPE fake_up gauge
fake_up{target="a"} 1
fake_up{target="b"} 0
# HELP golive_exporter_collector_success Whether a collector succeeded within the scrape's deadline (1) or not (0).
# TYPE golive_exporter_collector_success gauge
golive_exporter_collector_success{collector="broken",target="b"} 0
golive_exporter_collector_success{collector="ok",target="a"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "fake_up", "golive_exporter_collector_success"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "golive_exporter_collector_duration_seconds"); err != nil || n != 2 {
		t.Errorf("duration series = %d, %v; want 2", n, err)
	}
}

func TestRunnerCollectorDeadlineIsBeforeHardDeadline(t *testing.T) {
	var got atomic.Int64
	r := NewRunner([]Collector{
		fake{"probe", "x", func(ctx context.Context, ch chan<- prometheus.Metric) error {
			dl, ok := ctx.Deadline()
			if !ok {
				return errors.New("no deadline")
			}
			got.Store(dl.UnixNano())
			return nil
		}},
	}, discard())
	hard := time.Now().Add(time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), hard)
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(r.Scrape(ctx))
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	margin := hard.Sub(time.Unix(0, got.Load()))
	if margin < minMargin || margin > maxMargin {
		t.Errorf("collector deadline is %v before the hard deadline, want within [%v, %v]", margin, minMargin, maxMargin)
	}
}

// A collector that ignores its context must not hold the scrape: the runner
// returns at the hard deadline with everyone else's metrics, reports the
// hung one as failed, and drops what it sends later without panicking on the
// registry's closed channel.
func TestRunnerAbandonsHungCollectorAtHardDeadline(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	r := NewRunner([]Collector{
		fake{"postgres", "primary", func(ctx context.Context, ch chan<- prometheus.Metric) error {
			<-ctx.Done()
			up(ch, "primary", 0) // respects ctx: reports down in time
			return ctx.Err()
		}},
		fake{"hung", "", func(ctx context.Context, ch chan<- prometheus.Metric) error {
			defer close(finished)
			<-release // ignores ctx entirely
			for range 2 * inFlight {
				up(ch, "late", 1)
			}
			return nil
		}},
		fake{"fast", "", func(ctx context.Context, ch chan<- prometheus.Metric) error { up(ch, "fast", 1); return nil }},
	}, discard())

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r.Scrape(ctx))
	start := time.Now()
	mfs, err := reg.Gather()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if elapsed > 400*time.Millisecond {
		t.Errorf("scrape took %v, want it to end at the 300ms deadline", elapsed)
	}
	want := `
# HELP fake_up Whether the fake answered.
# TYPE fake_up gauge
fake_up{target="fast"} 1
fake_up{target="primary"} 0
# HELP golive_exporter_collector_success Whether a collector succeeded within the scrape's deadline (1) or not (0).
# TYPE golive_exporter_collector_success gauge
golive_exporter_collector_success{collector="fast",target=""} 1
golive_exporter_collector_success{collector="hung",target=""} 0
golive_exporter_collector_success{collector="postgres",target="primary"} 0
`
	once := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return mfs, nil })
	if err := testutil.GatherAndCompare(once, strings.NewReader(want), "fake_up", "golive_exporter_collector_success"); err != nil {
		t.Error(err)
	}
	close(release)
	select {
	case <-finished: // late sends were drained, not blocked forever
	case <-time.After(5 * time.Second):
		t.Fatal("the hung collector's late sends blocked")
	}
}

func TestRunnerWithoutCollectors(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewRunner(nil, discard()).Scrape(context.Background()))
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
		t.Errorf("got %d series, %v; want none", n, err)
	}
}

// When the hard deadline passes while a finished collector's metrics still
// wait to be forwarded (the registry reads slowly), they are forwarded all
// the same: a collector reported successful is never missing metrics.
func TestRunnerForwardsFinishedOutputAfterDeadline(t *testing.T) {
	const n = 10
	r := NewRunner([]Collector{
		fake{"burst", "", func(ctx context.Context, ch chan<- prometheus.Metric) error {
			for i := range n {
				up(ch, fmt.Sprint(i), 1)
			}
			return nil
		}},
	}, discard())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ch := make(chan prometheus.Metric)
	go func() {
		r.Run(ctx, ch)
		close(ch)
	}()
	first := <-ch // the runner is now blocked on the next send
	<-ctx.Done()
	time.Sleep(10 * time.Millisecond)
	ups, success := 1, -1.0
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		switch m.Desc() {
		case upDesc:
			ups++
		case successDesc:
			success = pb.GetGauge().GetValue()
		}
	}
	if first.Desc() != upDesc || ups != n {
		t.Errorf("forwarded %d of the %d fake_up series", ups, n)
	}
	if success != 1 {
		t.Errorf("golive_exporter_collector_success = %v, want 1", success)
	}
}
