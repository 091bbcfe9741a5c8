package exporter

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/golive-ops/golive/exporter/prober"
	"github.com/golive-ops/golive/internal/buildinfo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// maxTargetLen bounds /probe?target=; real targets are URLs and host:ports.
const maxTargetLen = 2048

func (a *App) routes() (http.Handler, error) {
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "golive exporter",
		Description: "Host, PostgreSQL, Redis, services, backups, SQL checks and blackbox-style probes",
		Version:     buildinfo.Print("golive"),
		Profiling:   "false",
		Form: web.LandingForm{
			Action: "/probe",
			Inputs: []web.LandingFormInput{
				{Label: "Target", Type: "text", Name: "target", Placeholder: "http://127.0.0.1:8080/health"},
				{Label: "Module", Type: "text", Name: "module", Placeholder: "http_2xx"},
			},
		},
		Links: []web.LandingLinks{
			{Address: "/metrics", Text: "Metrics", Description: "everything the config lists"},
			{Address: "/probe?module=http_2xx&target=http://127.0.0.1:9469/-/healthy", Text: "Probe", Description: "probe one target with one module"},
			{Address: "/-/healthy", Text: "Healthy", Description: "liveness"},
			{Address: "/-/ready", Text: "Ready", Description: "readiness"},
			{Address: "/-/reload", Text: "Reload", Description: "POST to reload the config (or send SIGHUP)"},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("landing page: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", a.bounded(http.HandlerFunc(a.serveMetrics)))
	mux.HandleFunc("/probe", a.serveProbe) // bounded on its own: see serveProbe
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Healthy\n")
	})
	mux.HandleFunc("/-/ready", a.serveReady)
	mux.HandleFunc("/-/reload", a.serveReload)
	mux.Handle("/", landing)
	return mux, nil
}

// bounded refuses /metrics scrapes beyond MaxInFlight with 503, so that a
// hung backend cannot pile up goroutines and connections without limit.
func (a *App) bounded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case a.inFlight <- struct{}{}:
			defer func() { <-a.inFlight }()
			next.ServeHTTP(w, r)
		default:
			http.Error(w, fmt.Sprintf("too many concurrent scrapes (limit %d)", cap(a.inFlight)), http.StatusServiceUnavailable)
		}
	})
}

// serveMetrics runs every collector under the scrape's deadline in a fresh
// registry that also holds the process-wide metrics: one registry, so the
// families are validated and sorted once (prometheus.Gatherers would merge
// and check them all a second time: a fifth of a scrape's allocations).
func (a *App) serveMetrics(w http.ResponseWriter, r *http.Request) {
	st := a.acquire()
	if st == nil {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer st.mu.RUnlock()
	timeout, err := scrapeTimeout(r.Header, st.cfg.Global)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(a.process, st.runner.Scrape(ctx))
	a.expose(w, r, reg, true)
}

// serveProbe probes one target with one module, blackbox_exporter style: a
// fresh registry with exactly what the prober reports.
func (a *App) serveProbe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// The config is immutable and a probe uses no collector, so the probe
	// needs no lock on the state: closing it cannot affect the probe.
	cfg := a.state.Load().cfg

	name := q.Get("module")
	if name == "" {
		http.Error(w, "module parameter is missing", http.StatusBadRequest)
		return
	}
	module, ok := cfg.Modules[name]
	if !ok {
		http.Error(w, fmt.Sprintf("unknown module %q", name), http.StatusBadRequest)
		return
	}
	target := q.Get("target")
	if target == "" {
		http.Error(w, "target parameter is missing", http.StatusBadRequest)
		return
	}
	if len(target) > maxTargetLen {
		http.Error(w, fmt.Sprintf("target parameter is longer than %d bytes", maxTargetLen), http.StatusBadRequest)
		return
	}
	// The scrape's budget; prober.Run caps the probe by the module's
	// timeout, and stops it a margin early when the scrape's comes first.
	timeout, err := scrapeTimeout(r.Header, cfg.Global)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	logger := a.logger.With("module", name, "target", redact(target))
	reg := prometheus.NewRegistry()
	select {
	case a.probesInFlight <- struct{}{}:
		defer func() { <-a.probesInFlight }()
	default:
		// A 503 would make Prometheus mark the target down (up 0) and
		// blank its series; blackbox_exporter never refuses. Say instead
		// that this probe failed, which is true, and count it.
		a.probesRefused.Inc()
		logger.Warn("Probe refused: too many probes in flight", "limit", cap(a.probesInFlight))
		prober.Refused(reg)
		a.expose(w, r, reg, false)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	if !prober.Run(ctx, target, module, reg, logger) {
		logger.Debug("probe failed")
	}
	// A probe's answer is a dozen lines: gzip would save little, and a
	// central prober answering many probes at once would hold a compressor
	// (hundreds of KB) per request.
	a.expose(w, r, reg, false)
}

// expose writes g's metrics in the format the scraper asked for, gzipped when
// compress is set and it accepts gzip (see gzip.go for why not promhttp's
// own compression).
func (a *App) expose(w http.ResponseWriter, r *http.Request, g prometheus.Gatherer, compress bool) {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:           promLogger{a.logger},
		ErrorHandling:      promhttp.ContinueOnError,
		DisableCompression: true,
	})
	if !compress {
		h.ServeHTTP(w, r)
		return
	}
	w.Header().Add("Vary", "Accept-Encoding")
	var body io.Writer = w
	var gz *gzip.Writer
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		gz = getGzip(w)
		defer putGzip(gz)
		body = gz
	}
	buf := getBuffer(body)
	defer putBuffer(buf)
	h.ServeHTTP(bufferedResponse{ResponseWriter: w, Writer: buf}, r)
	if err := buf.Flush(); err != nil {
		a.logger.Debug("writing the response failed", "err", err)
		return
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			a.logger.Debug("writing the gzipped response failed", "err", err)
		}
	}
}

func (a *App) serveReady(w http.ResponseWriter, r *http.Request) {
	if a.stopping.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "Ready\n")
}

func (a *App) serveReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "reload needs POST", http.StatusMethodNotAllowed)
		return
	}
	if err := a.Reload(); err != nil {
		// Config errors name fields and lines, never secret values.
		http.Error(w, "reload failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "config reloaded\n")
}

// redact hides a password in a URL-shaped target (postgres://u:p@h/db) before
// it is logged.
func redact(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.User == nil {
		return target
	}
	return u.Redacted()
}

// promLogger adapts slog to promhttp's error log.
type promLogger struct{ l *slog.Logger }

func (p promLogger) Println(v ...any) { p.l.Error(fmt.Sprint(v...)) }

// unchecked collects several collectors as one. Its Describe sends nothing,
// so registering it in each scrape's registry costs no descriptor checks;
// Gather still checks every metric for consistency and duplicates.
type unchecked []prometheus.Collector

func (u unchecked) Describe(chan<- *prometheus.Desc) {}

func (u unchecked) Collect(ch chan<- prometheus.Metric) {
	for _, c := range u {
		c.Collect(ch)
	}
}
