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

// scrapeTimeout is the budget of one scrape: Prometheus's timeout (the
// header, else the configured scrape_timeout) minus the offset, as
// blackbox_exporter computes it. The offset takes at most half, so a short
// timeout still leaves the collectors time.
func scrapeTimeout(h http.Header, g config.Global) (time.Duration, error) {
	t := g.ScrapeTimeout
	if v := h.Get(scrapeTimeoutHeader); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(secs) || secs <= 0 {
			return 0, fmt.Errorf("header %s: %q is not a positive number of seconds", scrapeTimeoutHeader, v)
		}
		t = min(time.Duration(min(secs, maxScrapeTimeout.Seconds())*float64(time.Second)), maxScrapeTimeout)
	}
	return t - min(g.ScrapeTimeoutOffset, t/2), nil
}
