package prober

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// roundTrip holds the timestamps of one request of a probe (the first one
// and each redirect).
type roundTrip struct {
	tls           bool
	start         time.Time
	dnsDone       time.Time
	connectDone   time.Time
	gotConn       time.Time
	tlsStart      time.Time
	tlsDone       time.Time
	responseStart time.Time
	end           time.Time
}

// probeTransport records a roundTrip per request and sends requests for the
// target's own host through primary (which dials the address resolved up
// front and may carry tls_config.server_name) and others through other.
type probeTransport struct {
	firstHost string
	primary   http.RoundTripper
	other     http.RoundTripper

	mu      sync.Mutex
	trips   []*roundTrip
	current *roundTrip
}

func (t *probeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	trip := &roundTrip{tls: req.URL.Scheme == "https"}
	t.trips = append(t.trips, trip)
	t.current = trip
	t.mu.Unlock()
	if strings.EqualFold(req.URL.Host, t.firstHost) {
		return t.primary.RoundTrip(req)
	}
	return t.other.RoundTrip(req)
}

// record runs set on the current roundTrip under the lock; hooks may fire
// on the transport's dialing goroutines.
func (t *probeTransport) record(set func(*roundTrip)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current != nil {
		set(t.current)
	}
}

func (t *probeTransport) clientTrace() *httptrace.ClientTrace {
	now := time.Now
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { t.record(func(r *roundTrip) { r.start = now() }) },
		DNSDone:  func(httptrace.DNSDoneInfo) { t.record(func(r *roundTrip) { r.dnsDone = now() }) },
		ConnectStart: func(string, string) {
			t.record(func(r *roundTrip) {
				// No DNS hook fired: the address was resolved up front.
				if r.dnsDone.IsZero() {
					r.start = now()
					r.dnsDone = r.start
				}
			})
		},
		ConnectDone:          func(string, string, error) { t.record(func(r *roundTrip) { r.connectDone = now() }) },
		GotConn:              func(httptrace.GotConnInfo) { t.record(func(r *roundTrip) { r.gotConn = now() }) },
		TLSHandshakeStart:    func() { t.record(func(r *roundTrip) { r.tlsStart = now() }) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.record(func(r *roundTrip) { r.tlsDone = now() }) },
		GotFirstResponseByte: func() { t.record(func(r *roundTrip) { r.responseStart = now() }) },
	}
}

// markEnd notes that the final response's body has been read.
func (t *probeTransport) markEnd() {
	t.record(func(r *roundTrip) { r.end = time.Now() })
}

// observe adds each phase of each round trip to probe_http_duration_seconds,
// summed over redirects as blackbox_exporter does. The first resolve was
// measured by resolveTarget.
func (t *probeTransport) observe(phases *prometheus.GaugeVec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, trip := range t.trips {
		if i > 0 && !trip.dnsDone.IsZero() {
			phases.WithLabelValues("resolve").Add(trip.dnsDone.Sub(trip.start).Seconds())
		}
		if trip.gotConn.IsZero() {
			continue
		}
		if trip.tls {
			phases.WithLabelValues("connect").Add(trip.connectDone.Sub(trip.dnsDone).Seconds())
			phases.WithLabelValues("tls").Add(trip.tlsDone.Sub(trip.tlsStart).Seconds())
		} else {
			phases.WithLabelValues("connect").Add(trip.gotConn.Sub(trip.dnsDone).Seconds())
		}
		if trip.responseStart.IsZero() {
			continue
		}
		phases.WithLabelValues("processing").Add(trip.responseStart.Sub(trip.gotConn).Seconds())
		if !trip.end.IsZero() {
			phases.WithLabelValues("transfer").Add(trip.end.Sub(trip.responseStart).Seconds())
		}
	}
}

// byteCounter counts the body bytes read, for
// probe_http_uncompressed_body_length.
type byteCounter struct {
	io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.n += int64(n)
	return n, err
}
