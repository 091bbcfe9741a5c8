package exporter

import (
	"net/http"
	"testing"
	"time"

	"github.com/golive-ops/golive/exporter/config"
)

func TestScrapeTimeout(t *testing.T) {
	g := config.Global{ScrapeTimeout: 10 * time.Second, ScrapeTimeoutOffset: 500 * time.Millisecond}
	tests := []struct {
		header string
		want   time.Duration
		err    bool
	}{
		{header: "", want: 9500 * time.Millisecond}, // no header: scrape_timeout minus the offset too
		{header: "2", want: 1500 * time.Millisecond},
		{header: "2.5", want: 2 * time.Second},
		{header: "0.4", want: 200 * time.Millisecond}, // offset capped at half
		{header: "1e12", want: time.Hour - 500*time.Millisecond},
		{header: "0", err: true},
		{header: "-3", err: true},
		{header: "NaN", err: true},
		{header: "ten", err: true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set(scrapeTimeoutHeader, tt.header)
		}
		got, err := scrapeTimeout(h, g)
		if (err != nil) != tt.err {
			t.Errorf("scrapeTimeout(%q) error = %v, want error %v", tt.header, err, tt.err)
			continue
		}
		if got != tt.want {
			t.Errorf("scrapeTimeout(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
