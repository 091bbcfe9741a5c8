package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golive-ops/golive/receiver/incident"
	"github.com/golive-ops/golive/receiver/metrics"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/webhook"
)

// blocking holds every Ingest until release is closed, counting the bytes
// of the bodies inside at once.
type blocking struct {
	release      chan struct{}
	in, maxBytes atomic.Int64
	entered      chan struct{}
}

func (b *blocking) Ingest(_ context.Context, _ *webhook.Message, raw []byte) (incident.Result, error) {
	n := b.in.Add(int64(len(raw)))
	for {
		m := b.maxBytes.Load()
		if n <= m || b.maxBytes.CompareAndSwap(m, n) {
			break
		}
	}
	b.entered <- struct{}{}
	defer b.in.Add(-int64(len(raw)))
	// Holds past its deadline on purpose: the budget stays taken until the
	// test lets go, whatever the clock does.
	<-b.release
	return incident.Result{}, nil
}

func body(i int) []byte {
	return fmt.Appendf(nil, `{"version":"4","groupKey":"g","receiver":"r","status":"firing","alerts":[{"status":"firing",
		"labels":{"alertname":"A","pad":%q},"fingerprint":"f%d","startsAt":"2025-03-01T11:00:00Z"}]}`, strings.Repeat("x", 500), i)
}

func TestInFlightBoundsConcurrentBytes(t *testing.T) {
	ing := &blocking{release: make(chan struct{}), entered: make(chan struct{}, 10)}
	size := int64(len(body(0)))
	h := &Handler{Ingester: ing, MaxBodyBytes: 1 << 20, Timeout: 300 * time.Millisecond,
		InFlight: NewInFlight(size * 3 / 2), // room for one body, not two
		Metrics:  metrics.New(prometheus.NewRegistry(), nil, slog.New(slog.DiscardHandler)),
		Logger:   slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }}
	srv := httptest.NewServer(h)
	defer srv.Close()
	send := func(i int, chunked bool) int {
		var r io.Reader = bytes.NewReader(body(i))
		if chunked {
			r = io.MultiReader(r) // hides the length: sent chunked
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL, r)
		if err != nil {
			t.Error(err)
			return 0
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var wg sync.WaitGroup
	codes := make(chan int, 3)
	wg.Go(func() { codes <- send(0, false) })
	<-ing.entered // the first holds the budget
	for i := 1; i <= 2; i++ {
		wg.Go(func() { codes <- send(i, i == 2) })
	}
	// Both wait for the budget past the timeout: 503, which Alertmanager
	// retries (never 429).
	for range 2 {
		if c := <-codes; c != http.StatusServiceUnavailable {
			t.Errorf("a webhook over the in-flight budget got %d, want 503", c)
		}
	}
	close(ing.release)
	if c := <-codes; c != http.StatusOK {
		t.Errorf("the webhook inside the budget got %d, want 200", c)
	}
	wg.Wait()
	if m := ing.maxBytes.Load(); m > size*3/2 {
		t.Errorf("%d bytes were in flight at once, more than the budget of %d", m, size*3/2)
	}
	// Once free, both a sized and a chunked body pass.
	for i, chunked := range []bool{false, true} {
		if c := send(10+i, chunked); c != http.StatusOK {
			t.Errorf("chunked=%v after the budget is free: %d, want 200", chunked, c)
		}
		<-ing.entered
	}
}

// deadlineProbe records the budget the handler gave the store.
type deadlineProbe struct {
	left    time.Duration
	storeTO time.Duration
}

func (d *deadlineProbe) Ingest(ctx context.Context, _ *webhook.Message, _ []byte) (incident.Result, error) {
	dl, _ := ctx.Deadline()
	d.left = time.Until(dl)
	d.storeTO, _ = store.TimeoutFrom(ctx)
	return incident.Result{}, nil
}

// A webhook gets Timeout plus PerAlert for each alert, and the store is
// told so (its own bound would cut a 20,000-alert webhook short forever).
func TestBudgetGrowsWithAlerts(t *testing.T) {
	probe := &deadlineProbe{}
	h := &Handler{Ingester: probe, MaxBodyBytes: 1 << 20, Timeout: time.Second,
		Metrics: metrics.New(prometheus.NewRegistry(), nil, slog.New(slog.DiscardHandler)),
		Logger:  slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }}
	var alerts []string
	for i := range 2000 {
		alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"A"},"fingerprint":"f%d","startsAt":"2025-03-01T11:00:00Z"}`, i))
	}
	b := `{"version":"4","groupKey":"g","receiver":"r","status":"firing","alerts":[` + strings.Join(alerts, ",") + `]}`
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := time.Second + 2000*PerAlert
	if probe.left > want || probe.left < want-time.Second {
		t.Errorf("store deadline %s away, want about %s", probe.left, want)
	}
	if probe.storeTO > want || probe.storeTO < want-time.Second {
		t.Errorf("store.TimeoutFrom = %s, want about %s", probe.storeTO, want)
	}
}
