package baseline

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// The synthetic history behind the integration tests: exporter-named series
// sampled every 15s, with counters whose rate is constant within each
// minute. Queried with a 1m step and a 1m rate window aligned to those
// minutes, every rate() is exact, so the test can compute what Prometheus
// must answer from the samples alone.
const (
	scrape   = 15 * time.Second
	perMin   = int(time.Minute / scrape)
	testStep = time.Minute
)

type synthSeries struct {
	name   string
	labels string // OpenMetrics label set without braces, in a fixed order
	values []float64
}

type synth struct {
	t0     time.Time // first sample, minute-aligned
	start  time.Time // first evaluation of the query window
	end    time.Time
	series []*synthSeries
	byKey  map[string]*synthSeries
	rnd    *rand.Rand
	// idle minute: no HTTP traffic at all, so ratios are NaN there.
	idleMinute int
}

func newSynth(end time.Time, window time.Duration) *synth {
	s := &synth{end: end, start: end.Add(-window), byKey: map[string]*synthSeries{}, rnd: rand.New(rand.NewPCG(4, 2))}
	s.t0 = s.start.Add(-10 * time.Minute)
	s.idleMinute = 10 + 37 // the 37th minute of the window
	return s
}

func (s *synth) samples() int { return int(s.end.Sub(s.t0)/scrape) + 1 }

// minutes is the number of per-minute segments; segment k ends at t0+(k+1)m.
func (s *synth) minutes() int { return (s.samples() - 1) / perMin }

func (s *synth) add(name, labels string, values []float64) {
	ss := &synthSeries{name: name, labels: labels, values: values}
	s.series = append(s.series, ss)
	s.byKey[name+"{"+labels+"}"] = ss
}

// counter adds a counter whose per-second rate during minute k is rate(k).
func (s *synth) counter(name, labels string, start float64, rate func(k int) float64) {
	v := make([]float64, s.samples())
	v[0] = start
	for i := 1; i < len(v); i++ {
		v[i] = v[i-1] + rate((i-1)/perMin)*scrape.Seconds()
	}
	s.add(name, labels, v)
}

// gauge adds a gauge with an independent value at every sample.
func (s *synth) gauge(name, labels string, value func() float64) {
	v := make([]float64, s.samples())
	for i := range v {
		v[i] = value()
	}
	s.add(name, labels, v)
}

func (s *synth) uniform(lo, hi float64) float64 { return lo + s.rnd.Float64()*(hi-lo) }
func (s *synth) intn(lo, hi int) float64        { return float64(lo + s.rnd.IntN(hi-lo+1)) }

// perMinute draws one value per minute and returns it as a rate function.
func (s *synth) perMinute(draw func() float64) func(int) float64 {
	v := make([]float64, s.minutes()+1)
	for k := range v {
		v[k] = draw()
	}
	return func(k int) float64 { return v[k] }
}

var histogramBounds = []string{"0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"}

func buildSynth(end time.Time, window time.Duration) *synth {
	s := newSynth(end, window)
	// Hosts: two CPUs each; a third host in another job must be ignored.
	for _, h := range []struct{ instance, job string }{{"h1", "node"}, {"h2", "node"}, {"h3", "other"}} {
		for _, cpu := range []string{"0", "1"} {
			idle := s.perMinute(func() float64 { return s.uniform(0.15, 0.65) })
			iowait := s.perMinute(func() float64 { return s.uniform(0, 0.1) })
			if h.job == "other" {
				idle = func(int) float64 { return 0.99 }
				iowait = func(int) float64 { return 0 }
			}
			l := fmt.Sprintf(`cpu="%s",instance="%s",job="%s"`, cpu, h.instance, h.job)
			s.counter("node_cpu_seconds_total", l+`,mode="idle"`, 1e5, idle)
			// iowait is waiting, not working: the CPU quantity must not count it.
			s.counter("node_cpu_seconds_total", l+`,mode="iowait"`, 1e5, iowait)
			s.counter("node_cpu_seconds_total", l+`,mode="user"`, 1e5, func(k int) float64 { return 1 - idle(k) - iowait(k) })
		}
		l := fmt.Sprintf(`instance="%s",job="%s"`, h.instance, h.job)
		total := 8 * float64(1<<30)
		s.gauge("node_memory_MemTotal_bytes", l, func() float64 { return total })
		s.gauge("node_memory_MemAvailable_bytes", l, func() float64 { return math.Round(total * s.uniform(0.3, 0.7)) })
	}

	// Application: a histogram (no observation above 2.5s) and requests by code.
	app := `instance="app1",job="app"`
	traffic := func(draw func() float64) func(int) float64 {
		f := s.perMinute(draw)
		return func(k int) float64 {
			if k == s.idleMinute {
				return 0
			}
			return f(k)
		}
	}
	cumulative := func(int) float64 { return 0 }
	for _, le := range histogramBounds {
		below := cumulative
		inBucket := traffic(func() float64 { return s.intn(0, 30) / 60 })
		if le == "+Inf" {
			inBucket = func(int) float64 { return 0 }
		}
		cumulative = func(k int) float64 { return below(k) + inBucket(k) }
		s.counter("http_request_duration_seconds_bucket", app+`,le="`+le+`"`, 0, cumulative)
	}
	s.counter("http_requests_total", app+`,code="200"`, 0, traffic(func() float64 { return s.intn(50, 100) / 60 }))
	s.counter("http_requests_total", app+`,code="500"`, 0, traffic(func() float64 { return s.intn(0, 5) / 60 }))

	pg := `instance="pg1",job="postgres"`
	s.gauge("pg_stat_activity_count", pg+`,datname="test",state="active"`, func() float64 { return s.intn(1, 20) })
	s.gauge("pg_stat_activity_count", pg+`,datname="test",state="idle"`, func() float64 { return s.intn(0, 10) })
	s.counter("pg_stat_database_blks_hit", pg+`,datid="1",datname="test"`, 1e6, s.perMinute(func() float64 { return s.intn(100, 1000) }))
	s.counter("pg_stat_database_blks_read", pg+`,datid="1",datname="test"`, 1e4, s.perMinute(func() float64 { return s.intn(0, 50) }))

	rd := `instance="r1",job="redis"`
	s.gauge("redis_connected_clients", rd, func() float64 { return s.intn(1, 50) })
	s.gauge("redis_memory_used_bytes", rd, func() float64 { return s.intn(1e6, 5e6) })
	s.counter("redis_keyspace_hits_total", rd, 1e5, s.perMinute(func() float64 { return s.intn(10, 100) }))
	s.counter("redis_keyspace_misses_total", rd, 1e3, s.perMinute(func() float64 { return s.intn(0, 20) }))
	return s
}

// writeOpenMetrics writes every sample in the format promtool backfills.
func (s *synth) writeOpenMetrics(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	ordered := slices.Clone(s.series)
	// A metric's series must be contiguous.
	slices.SortStableFunc(ordered, func(a, b *synthSeries) int { return cmpString(a.name, b.name) })
	for _, ss := range ordered {
		for i, v := range ss.values {
			ts := s.t0.Add(time.Duration(i) * scrape).Unix()
			fmt.Fprintf(w, "%s{%s} %s %d\n", ss.name, ss.labels, strconv.FormatFloat(v, 'g', -1, 64), ts)
		}
	}
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// --- What Prometheus must answer, computed from the samples. ---

// evalTimes are the range query's evaluation times.
func (s *synth) evalTimes() []time.Time {
	var out []time.Time
	for ts := s.start; !ts.After(s.end); ts = ts.Add(testStep) {
		out = append(out, ts)
	}
	return out
}

func (s *synth) at(key string, ts time.Time) float64 {
	ss, ok := s.byKey[key]
	if !ok {
		panic("no synthetic series " + key)
	}
	return ss.values[int(ts.Sub(s.t0)/scrape)]
}

// rate is the increase over the minute before ts, per second.
func (s *synth) rate(key string, ts time.Time) float64 {
	return (s.at(key, ts) - s.at(key, ts.Add(-time.Minute))) / time.Minute.Seconds()
}

func (s *synth) expectCPU(instance string, ts time.Time) float64 {
	var idle float64
	for _, cpu := range []string{"0", "1"} {
		for _, mode := range []string{"idle", "iowait"} {
			idle += s.rate(fmt.Sprintf(`node_cpu_seconds_total{cpu="%s",instance="%s",job="node",mode="%s"}`, cpu, instance, mode), ts)
		}
	}
	return 100 * (1 - idle/2)
}

func (s *synth) expectMemory(instance string, ts time.Time) float64 {
	l := fmt.Sprintf(`{instance="%s",job="node"}`, instance)
	return 100 * (1 - s.at("node_memory_MemAvailable_bytes"+l, ts)/s.at("node_memory_MemTotal_bytes"+l, ts))
}

// expectLatencyP95 interpolates linearly inside the bucket holding the 95th
// percentile, as histogram_quantile documents.
func (s *synth) expectLatencyP95(ts time.Time) float64 {
	var counts, bounds []float64
	for _, le := range histogramBounds {
		counts = append(counts, s.rate(`http_request_duration_seconds_bucket{instance="app1",job="app",le="`+le+`"}`, ts))
		b, _ := strconv.ParseFloat(le, 64)
		bounds = append(bounds, b)
	}
	total := counts[len(counts)-1]
	if total == 0 {
		return math.NaN()
	}
	rank := 0.95 * total
	for i, c := range counts {
		if c >= rank {
			lower, below := 0.0, 0.0
			if i > 0 {
				lower, below = bounds[i-1], counts[i-1]
			}
			return lower + (bounds[i]-lower)*(rank-below)/(c-below)
		}
	}
	panic("rank beyond +Inf")
}

func (s *synth) requests(code string, ts time.Time) float64 {
	return s.rate(`http_requests_total{instance="app1",job="app",code="`+code+`"}`, ts)
}

func (s *synth) expectErrorRate(ts time.Time) float64 {
	return 100 * s.requests("500", ts) / (s.requests("200", ts) + s.requests("500", ts))
}

func (s *synth) expectThroughput(ts time.Time) float64 {
	return s.requests("200", ts) + s.requests("500", ts)
}

func (s *synth) expectPGConnections(ts time.Time) float64 {
	return s.at(`pg_stat_activity_count{instance="pg1",job="postgres",datname="test",state="active"}`, ts) +
		s.at(`pg_stat_activity_count{instance="pg1",job="postgres",datname="test",state="idle"}`, ts)
}

func (s *synth) expectPGCacheHit(ts time.Time) float64 {
	hit := s.rate(`pg_stat_database_blks_hit{instance="pg1",job="postgres",datid="1",datname="test"}`, ts)
	read := s.rate(`pg_stat_database_blks_read{instance="pg1",job="postgres",datid="1",datname="test"}`, ts)
	return 100 * hit / (hit + read)
}

func (s *synth) expectRedisHitRate(ts time.Time) float64 {
	hits := s.rate(`redis_keyspace_hits_total{instance="r1",job="redis"}`, ts)
	misses := s.rate(`redis_keyspace_misses_total{instance="r1",job="redis"}`, ts)
	return 100 * hits / (hits + misses)
}

// expected returns, per quantity, the values of each result series.
func (s *synth) expected() map[string][][]float64 {
	each := func(f func(time.Time) float64) []float64 {
		var out []float64
		for _, ts := range s.evalTimes() {
			out = append(out, f(ts))
		}
		return out
	}
	host := func(f func(string, time.Time) float64) [][]float64 {
		return [][]float64{
			each(func(ts time.Time) float64 { return f("h1", ts) }),
			each(func(ts time.Time) float64 { return f("h2", ts) }),
		}
	}
	return map[string][][]float64{
		QCPU:           host(s.expectCPU),
		QMemory:        host(s.expectMemory),
		QLatencyP95:    {each(s.expectLatencyP95)},
		QErrorRate:     {each(s.expectErrorRate)},
		QThroughput:    {each(s.expectThroughput)},
		QPGConnections: {each(s.expectPGConnections)},
		QPGCacheHit:    {each(s.expectPGCacheHit)},
		QRedisClients:  {each(func(ts time.Time) float64 { return s.at(`redis_connected_clients{instance="r1",job="redis"}`, ts) })},
		QRedisMemory:   {each(func(ts time.Time) float64 { return s.at(`redis_memory_used_bytes{instance="r1",job="redis"}`, ts) })},
		QRedisHitRate:  {each(s.expectRedisHitRate)},
	}
}

// refSummary computes the statistics the test expects, written
// independently of Summarize (one-pass sums, explicit rank arithmetic).
func refSummary(values []float64) Summary {
	var xs []float64
	dropped := 0
	var sum, sumSq float64
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			dropped++
			continue
		}
		xs = append(xs, v)
		sum += v
		sumSq += v * v
	}
	n := float64(len(xs))
	slices.Sort(xs)
	pct := func(p float64) float64 {
		rank := p / 100 * (n - 1)
		i := int(rank)
		if i+1 >= len(xs) {
			return xs[len(xs)-1]
		}
		return xs[i] + (rank-float64(i))*(xs[i+1]-xs[i])
	}
	mean := sum / n
	return Summary{
		Count: len(xs), Dropped: dropped, Mean: mean,
		Median: pct(50), Min: xs[0], Max: xs[len(xs)-1],
		Stdev: math.Sqrt((sumSq - n*mean*mean) / (n - 1)),
		P95:   pct(95), P99: pct(99),
	}
}
