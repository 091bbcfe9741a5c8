package promclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		wantErr string
	}{
		{"http://127.0.0.1:9090", ""},
		{"https://prom.example.com/prometheus", ""},
		{"", "empty"},
		{"127.0.0.1:9090", "invalid Prometheus URL"},
		{"ftp://host", "scheme must be http or https"},
		{"http://", "no host"},
		{"http://user:hunter2@[::1", "invalid Prometheus URL"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			_, err := ParseURL(tc.raw)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseURL(%q): %v", tc.raw, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseURL(%q) error = %v, want containing %q", tc.raw, err, tc.wantErr)
			}
			if !errors.Is(err, ErrInvalidURL) {
				t.Errorf("error %v does not wrap ErrInvalidURL", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestChunks(t *testing.T) {
	start := time.Unix(1000, 0)
	for _, tc := range []struct {
		name      string
		end       time.Time
		step      time.Duration
		maxPoints int
		want      int // number of chunks
	}{
		{"single point", start, time.Minute, 10, 1},
		{"fits", start.Add(9 * time.Minute), time.Minute, 10, 1},
		{"one over", start.Add(10 * time.Minute), time.Minute, 10, 2},
		{"end between steps", start.Add(25*time.Minute + 30*time.Second), time.Minute, 10, 3},
		{"seven days at 1m", start.Add(7 * 24 * time.Hour), time.Minute, MaxPointsPerSeries, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Chunks(start, tc.end, tc.step, tc.maxPoints)
			if len(got) != tc.want {
				t.Fatalf("got %d chunks, want %d: %v", len(got), tc.want, got)
			}
			// Together the chunks must evaluate every step exactly once.
			next := start
			for _, r := range got {
				if !r.Start.Equal(next) {
					t.Fatalf("chunk starts at %v, want %v", r.Start, next)
				}
				if n := int(r.End.Sub(r.Start)/tc.step) + 1; n > tc.maxPoints {
					t.Fatalf("chunk has %d points, max %d", n, tc.maxPoints)
				}
				next = r.End.Add(tc.step)
			}
			if next.Sub(tc.end) <= 0 || next.Sub(tc.end) > tc.step {
				t.Fatalf("chunks end at %v, range end %v", next.Add(-tc.step), tc.end)
			}
		})
	}
}

// fakePrometheus answers /api/v1/query_range with one series whose value at
// each step is the timestamp in seconds, like `time()` would.
func fakePrometheus(t *testing.T, requests *atomic.Int32) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query_range" {
			http.NotFound(w, r)
			return
		}
		requests.Add(1)
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		if r.Form.Get("query") == "bad(" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"}`)
			return
		}
		start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
		end, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
		step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
		var values [][2]any
		for ts := start; ts <= end; ts += step {
			values = append(values, [2]any{ts, strconv.FormatFloat(ts, 'f', -1, 64)})
		}
		body := map[string]any{"status": "success", "data": map[string]any{
			"resultType": "matrix",
			"result":     []any{map[string]any{"metric": map[string]string{"job": "x"}, "values": values}},
		}}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(body); err != nil {
			t.Errorf("encode: %v", err)
		}
	}))
}

func TestQueryRangeSplitsAndMerges(t *testing.T) {
	var requests atomic.Int32
	srv := fakePrometheus(t, &requests)
	defer srv.Close()
	c, err := New(Options{URL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_700_000_000, 0)
	points := MaxPointsPerSeries*2 + 5
	end := start.Add(time.Duration(points-1) * time.Second)
	series, _, err := c.QueryRange(context.Background(), "time()", start, end, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := requests.Load(); got != 3 {
		t.Errorf("made %d requests, want 3", got)
	}
	if len(series) != 1 || series[0].Labels["job"] != "x" {
		t.Fatalf("got series %v, want one with job=x", series)
	}
	s := series[0].Samples
	if len(s) != points {
		t.Fatalf("got %d samples, want %d", len(s), points)
	}
	for i, p := range s {
		want := start.Add(time.Duration(i) * time.Second)
		if !p.Time.Equal(want) || p.Value != float64(want.Unix()) {
			t.Fatalf("sample %d = %v %v, want %v %v", i, p.Time, p.Value, want, want.Unix())
		}
	}
}

func TestQueryRangeErrors(t *testing.T) {
	var requests atomic.Int32
	srv := fakePrometheus(t, &requests)
	defer srv.Close()

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer slow.Close()
	defer close(release) // runs before slow.Close, which waits for handlers

	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://user:hunter2@" + l.Addr().String()
	l.Close()

	now := time.Now()
	for _, tc := range []struct {
		name, url, query string
		want             string
		apiError         bool
	}{
		{"bad query keeps Prometheus message", srv.URL, "bad(", "unclosed left parenthesis", true},
		{"unreachable", closed, "up", "unreachable", false},
		{"timeout", slow.URL, "up", "no answer within 200ms", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Options{URL: tc.url, Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.QueryRange(context.Background(), tc.query, now.Add(-time.Hour), now, time.Minute)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.query) {
				t.Errorf("error %q does not name the query", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
			}
			var apiErr *v1.Error
			if got := errors.As(err, &apiErr); got != tc.apiError {
				t.Errorf("errors.As(*v1.Error) = %v, want %v", got, tc.apiError)
			}
		})
	}
}

func TestQueryRangeRejectsBadRange(t *testing.T) {
	c, err := New(Options{URL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, _, err := c.QueryRange(context.Background(), "up", now, now.Add(-time.Hour), time.Minute); err == nil {
		t.Error("end before start: no error")
	}
	if _, _, err := c.QueryRange(context.Background(), "up", now.Add(-time.Hour), now, 0); err == nil {
		t.Error("zero step: no error")
	}
}

func TestQuery(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.Form.Get("query") {
		case "up":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000,"1"]},{"metric":{"__name__":"up","job":"b"},"value":[1700000000,"0"]}]}}`)
		case "1+1":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}}`)
		default:
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"string","result":[1700000000,"x"]}}`)
		}
	}))
	defer srv.Close()
	c, err := New(Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1_700_000_000, 0)
	pts, _, err := c.Query(context.Background(), "up", ts)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].Labels["job"] != "a" || pts[0].Value != 1 || pts[1].Value != 0 || !pts[0].Time.Equal(ts) {
		t.Errorf("vector = %+v", pts)
	}
	pts, _, err = c.Query(context.Background(), "1+1", ts)
	if err != nil || len(pts) != 1 || pts[0].Value != 2 {
		t.Errorf("scalar = %+v, %v", pts, err)
	}
	if _, _, err := c.Query(context.Background(), `"x"`, ts); err == nil || strings.Contains(err.Error(), "unreachable") {
		t.Errorf("string result: error %v", err)
	}
}
