package exporter

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/golive-ops/golive/exporter/config"
)

// scrapeTimeoutHeader is how Prometheus tells a target how long it waits.
const scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// maxScrapeTimeout caps what a header may ask for; Prometheus itself refuses
// scrape timeouts longer than the scrape interval.
const maxScrapeTimeout = time.Hour

// scrapeTimeout is the budget of one /metrics scrape: Prometheus's timeout
// minus the offset (at most half of it, so a short timeout still leaves the
// collectors time), or the configured scrape_timeout without the header.
func scrapeTimeout(h http.Header, g config.Global) (time.Duration, error) {
	v := h.Get(scrapeTimeoutHeader)
	if v == "" {
		return g.ScrapeTimeout, nil
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(secs) || secs <= 0 {
		return 0, fmt.Errorf("header %s: %q is not a positive number of seconds", scrapeTimeoutHeader, v)
	}
	t := min(time.Duration(min(secs, maxScrapeTimeout.Seconds())*float64(time.Second)), maxScrapeTimeout)
	return t - min(g.ScrapeTimeoutOffset, t/2), nil
}

// probeTimeout is scrapeTimeout capped by the module's own timeout.
func probeTimeout(h http.Header, g config.Global, module time.Duration) (time.Duration, error) {
	t, err := scrapeTimeout(h, g)
	if err != nil {
		return 0, err
	}
	if module > 0 && module < t {
		t = module
	}
	return t, nil
}
