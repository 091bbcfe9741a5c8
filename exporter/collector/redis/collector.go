// Package redis collects the metrics of one Redis server with redis_exporter's
// names, types, labels and values, from a single INFO ALL round trip per scrape.
package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

const namespace = "redis"

// Collector scrapes one Redis server through a persistent, small client pool.
// It implements collector.Collector and collector.Closer and is safe for
// concurrent scrapes.
type Collector struct {
	name      string
	client    *goredis.Client
	timeout   time.Duration
	databases int
	logger    *slog.Logger
	config    configMode // whether scrapes ask CONFIG GET too

	constLabels prometheus.Labels
	descs       map[*metricDef]*prometheus.Desc // read-only after New
}

// Option changes how New builds a Collector.
type Option func(*options)

type options struct{ serverLabel bool }

// WithoutServerLabel drops the server="<name>" label, for /probe answers
// that must look exactly like redis_exporter's /scrape.
func WithoutServerLabel() Option { return func(o *options) { o.serverLabel = false } }

// New builds a Collector for cfg. It does not touch the network: the client
// connects on the first scrape. A password_file is read here, so a reload
// picks up a rotated password.
func New(cfg Config, logger *slog.Logger, opts ...Option) (*Collector, error) {
	o := options{serverLabel: true}
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	clientOpts, err := cfg.clientOptions()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	routeLibraryLogs.Do(func() { goredis.SetLogger(libraryLogger{logger}) })
	c := &Collector{
		name:      cfg.Name,
		client:    goredis.NewClient(clientOpts),
		timeout:   cfg.Timeout,
		databases: cfg.Databases,
		logger:    logger,
	}
	if o.serverLabel {
		c.constLabels = prometheus.Labels{"server": cfg.Name}
	}
	c.descs = make(map[*metricDef]*prometheus.Desc)
	for _, d := range fixedDefs() {
		c.descs[d] = c.newDesc(d.name, d.help, d.labels)
	}
	return c, nil
}

// go-redis logs pool errors through a process-wide logger straight to
// stderr. Update already returns those errors (and the runner logs them with
// a reason), so they go to the first collector's logger at debug level.
var routeLibraryLogs sync.Once

type libraryLogger struct{ logger *slog.Logger }

func (l libraryLogger) Printf(ctx context.Context, format string, v ...any) {
	l.logger.DebugContext(ctx, "go-redis", "detail", fmt.Sprintf(format, v...))
}

func disabledMaintNotifications() *maintnotifications.Config {
	return &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

func (c *Collector) newDesc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, c.constLabels)
}

// Name implements collector.Collector.
func (c *Collector) Name() string { return "redis" }

// Target implements collector.Collector: the configured server name.
func (c *Collector) Target() string { return c.name }

// Update runs INFO ALL and emits its metrics, then redis_up. On any failure,
// including ctx expiring on a hung server, it emits redis_up 0 and returns
// the error.
func (c *Collector) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out := &chanSink{ch: ch, c: c}
	var (
		info      string
		params    map[string]string
		configErr error
		err       error
	)
	mode := c.config.get()
	if mode == configNeeded {
		info, params, configErr, err = c.infoAndConfig(ctx)
	} else {
		info, err = c.info(ctx)
	}
	if err != nil {
		out.metric(mUp, 0)
		return err
	}
	have := parseInfo(info, parseParams{now: time.Now(), databases: c.databases}, out)
	switch {
	case have.complete():
		c.config.set(configNotNeeded)
	case mode == configUnknown:
		// INFO lacks a value (Redis before 7): ask CONFIG once now; later
		// scrapes send it with INFO in the same round trip.
		var ok bool
		params, ok, configErr = c.configGet(ctx)
		if configErr == nil && !ok {
			c.config.set(configUnavailable)
		} else if ok {
			c.config.set(configNeeded)
		}
	}
	if configErr != nil {
		out.metric(mUp, 0)
		return configErr
	}
	emitConfig(params, have, out)
	out.metric(mUp, 1)
	return nil
}

// infoAndConfig sends INFO ALL and CONFIG GET in one round trip. A refused
// CONFIG (its permissions changed) stops later scrapes from asking.
func (c *Collector) infoAndConfig(ctx context.Context) (info string, params map[string]string, configErr, err error) {
	var (
		infoCmd   *goredis.StringCmd
		configCmd *goredis.MapStringStringCmd
	)
	_, _ = c.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		infoCmd = p.Info(ctx, "all")
		configCmd = p.ConfigGet(ctx, configPattern)
		return nil
	})
	info, err = infoCmd.Result()
	var rerr goredis.Error
	if err != nil && errors.As(err, &rerr) {
		info, err = c.info(ctx) // INFO ALL refused: the plain INFO fallback
	} else {
		err = wrapINFO(err)
	}
	if err != nil {
		return "", nil, nil, err
	}
	params, ok, configErr := configResult(configCmd.Result())
	if configErr == nil && !ok {
		c.config.set(configUnavailable)
	}
	return info, params, configErr, nil
}

// info asks for INFO ALL and falls back to plain INFO when the server
// rejects ALL (some proxies do), as redis_exporter does.
func (c *Collector) info(ctx context.Context) (string, error) {
	info, err := c.client.Info(ctx, "all").Result()
	var rerr goredis.Error
	if (err == nil && info != "") || (err != nil && !errors.As(err, &rerr)) {
		return info, wrapINFO(err)
	}
	info, err = c.client.Info(ctx).Result()
	return info, wrapINFO(err)
}

func wrapINFO(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("INFO: %w", err)
}

// Close releases the client's connections.
func (c *Collector) Close() error { return c.client.Close() }

// chanSink turns parsed samples into const metrics on the scrape's channel.
type chanSink struct {
	ch chan<- prometheus.Metric
	c  *Collector
}

func (s *chanSink) metric(d *metricDef, v float64, labelValues ...string) {
	desc := s.c.descs[d]
	m, err := prometheus.NewConstMetric(desc, d.typ, v, labelValues...)
	if err != nil { // e.g. a label value that is not UTF-8
		m = prometheus.NewInvalidMetric(desc, err)
	}
	s.ch <- m
}

func (s *chanSink) summary(d *metricDef, count uint64, sum float64, q map[float64]float64, labelValues ...string) {
	desc := s.c.descs[d]
	m, err := prometheus.NewConstSummary(desc, count, sum, q, labelValues...)
	if err != nil {
		m = prometheus.NewInvalidMetric(desc, err)
	}
	s.ch <- m
}

func (s *chanSink) instanceInfo(names, values []string) {
	desc := s.c.newDesc(mInstanceInfo.name, mInstanceInfo.help, names)
	m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, 1, values...)
	if err != nil {
		m = prometheus.NewInvalidMetric(desc, err)
	}
	s.ch <- m
}
