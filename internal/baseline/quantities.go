package baseline

import (
	"fmt"
	"strings"
)

// Quantity names, as they appear in the JSON baseline.
const (
	QCPU            = "cpu_utilisation"
	QMemory         = "memory_utilisation"
	QLatencyP95     = "http_latency_p95"
	QErrorRate      = "http_error_rate"
	QThroughput     = "http_throughput"
	QPGConnections  = "postgres_connections"
	QPGCacheHit     = "postgres_cache_hit_ratio"
	QRedisClients   = "redis_connected_clients"
	QRedisMemory    = "redis_memory_used"
	QRedisHitRate   = "redis_keyspace_hit_rate"
	UnitPercent     = "percent"
	UnitSeconds     = "seconds"
	UnitPerSecond   = "requests_per_second"
	UnitConnections = "connections"
	UnitBytes       = "bytes"
)

// Selectors are extra label matchers (PromQL syntax without braces, e.g.
// `job="node",env="prod"`) added to every metric of one source. Empty
// matches every series of the metric.
type Selectors struct {
	Node     string `json:"node"`
	App      string `json:"app"`
	Postgres string `json:"postgres"`
	Redis    string `json:"redis"`
	// AppErrors selects the failed requests among http_requests_total,
	// e.g. code=~"5..".
	AppErrors string `json:"app_errors"`
}

// String renders the selectors for messages: node={job=~"node"}, ...
func (s Selectors) String() string {
	return fmt.Sprintf("node={%s}, app={%s}, postgres={%s}, redis={%s}, app-errors={%s}", s.Node, s.App, s.Postgres, s.Redis, s.AppErrors)
}

// Quantity is one thing the baseline measures: a PromQL expression over
// exporter-compatible metric names, and optionally how thresholds are derived
// from its statistics.
type Quantity struct {
	Name   string
	Title  string
	Unit   string
	Query  func(sel Selectors, rate string) string
	Derive func(Summary, Guards) Derivation // nil: statistics only
}

// Quantities is the table of everything the baseline queries. Queries keep
// one series per instance (host, database, Redis) or per job (the
// application, whose replicas are aggregated the way its alerts are).
// `rate` is the range of rate() windows, e.g. "5m".
func Quantities() []Quantity {
	return []Quantity{
		// CPU and error rate measure what the generated recording rules
		// record (idle, iowait and steal are not busy; no errors is 0%, not
		// no sample), so derived levels fit the alerts that use them.
		{QCPU, "Host CPU utilisation", UnitPercent, func(s Selectors, r string) string {
			return fmt.Sprintf(`100 * (1 - avg by (instance) (sum without (mode) (rate(%s[%s]))))`,
				metric("node_cpu_seconds_total", s.Node, `mode=~"idle|iowait|steal"`), r)
		}, DeriveCPU},
		{QMemory, "Host memory utilisation", UnitPercent, func(s Selectors, _ string) string {
			return fmt.Sprintf(`100 * (1 - %s / %s)`, metric("node_memory_MemAvailable_bytes", s.Node), metric("node_memory_MemTotal_bytes", s.Node))
		}, DeriveMemory},
		{QLatencyP95, "Application p95 response time", UnitSeconds, func(s Selectors, r string) string {
			return fmt.Sprintf(`histogram_quantile(0.95, sum by (job, le) (rate(%s[%s])))`, metric("http_request_duration_seconds_bucket", s.App), r)
		}, DeriveLatency},
		{QErrorRate, "Application error rate (5xx)", UnitPercent, func(s Selectors, r string) string {
			all := fmt.Sprintf(`sum by (job) (rate(%s[%s]))`, metric("http_requests_total", s.App), r)
			return fmt.Sprintf(`100 * (sum by (job) (rate(%s[%s])) or 0 * %s) / %s`,
				metric("http_requests_total", s.App, s.AppErrors), r, all, all)
		}, DeriveErrorRate},
		{QThroughput, "Application throughput", UnitPerSecond, func(s Selectors, r string) string {
			return fmt.Sprintf(`sum by (job) (rate(%s[%s]))`, metric("http_requests_total", s.App), r)
		}, nil},
		{QPGConnections, "PostgreSQL connections", UnitConnections, func(s Selectors, _ string) string {
			return fmt.Sprintf(`sum by (instance) (%s)`, metric("pg_stat_activity_count", s.Postgres))
		}, nil},
		{QPGCacheHit, "PostgreSQL cache hit ratio", UnitPercent, func(s Selectors, r string) string {
			hit := fmt.Sprintf(`sum by (instance) (rate(%s[%s]))`, metric("pg_stat_database_blks_hit", s.Postgres), r)
			read := fmt.Sprintf(`sum by (instance) (rate(%s[%s]))`, metric("pg_stat_database_blks_read", s.Postgres), r)
			return fmt.Sprintf(`100 * %s / (%s + %s)`, hit, hit, read)
		}, nil},
		{QRedisClients, "Redis connected clients", UnitConnections, func(s Selectors, _ string) string {
			return metric("redis_connected_clients", s.Redis)
		}, nil},
		{QRedisMemory, "Redis used memory", UnitBytes, func(s Selectors, _ string) string {
			return metric("redis_memory_used_bytes", s.Redis)
		}, nil},
		{QRedisHitRate, "Redis keyspace hit rate", UnitPercent, func(s Selectors, r string) string {
			hits := fmt.Sprintf(`rate(%s[%s])`, metric("redis_keyspace_hits_total", s.Redis), r)
			misses := fmt.Sprintf(`rate(%s[%s])`, metric("redis_keyspace_misses_total", s.Redis), r)
			return fmt.Sprintf(`100 * %s / (%s + %s)`, hits, hits, misses)
		}, nil},
	}
}

// metric renders name{matchers...}, skipping empty matcher lists.
func metric(name string, matchers ...string) string {
	var parts []string
	for _, m := range matchers {
		if m = strings.TrimSpace(m); m != "" {
			parts = append(parts, m)
		}
	}
	if len(parts) == 0 {
		return name
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// ValidateMatchers checks that s is a comma-separated list of PromQL label
// matchers without braces (job="node", env=~"prod|staging"), or empty.
func ValidateMatchers(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if strings.ContainsAny(s, "{}") {
		return fmt.Errorf("%q: write the label matchers without braces, e.g. job=\"node\"", s)
	}
	if err := parseMatchers(s); err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	return nil
}

// Validate checks every selector; the error names the selector.
func (s Selectors) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"node", s.Node}, {"app", s.App}, {"postgres", s.Postgres}, {"redis", s.Redis}, {"app errors", s.AppErrors},
	} {
		if err := ValidateMatchers(f.value); err != nil {
			return fmt.Errorf("%s selector %w", f.name, err)
		}
	}
	return nil
}
