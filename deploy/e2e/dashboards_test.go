package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/testenv"
)

// The test a user would notice first: the dashboards and alerts they already
// run, pointed at golive instead of node_exporter, postgres_exporter and
// redis_exporter. testdata/dashboards holds the PromQL of Grafana dashboards
// 1860 (Node Exporter Full), 9628 (PostgreSQL Database) and 763 (Redis), and
// of the node-mixin's alerts and recording rules, each with its source. A
// real Prometheus scrapes a golive exporter serving the host, the local
// PostgreSQL and the local Redis, and runs every query.
//
// A query may come back empty for reasons golive does not control: an alert
// that is not firing, a panel filtered to `!= 0`, or a series of hardware
// this machine does not have. So an empty query fails only when one of its
// selectors has no series at all and that metric is not in
// absentOnThisMachine, or when every selector has series yet the query,
// without any filtering operator, still returns nothing.

// absentOnThisMachine lists the metrics that may have no series here, each
// with the reason. Everything else a query selects must exist.
var absentOnThisMachine = map[string]string{
	// Hardware and kernel features this machine (a VM) does not have.
	"node_md_disks":          "no md RAID array",
	"node_md_disks_required": "no md RAID array",
	"node_bonding_slaves":    "no bonding interface",
	"node_bonding_active":    "no bonding interface",
	// Collectors node_exporter itself leaves off by default.
	"node_systemd_unit_state":            "node_exporter's systemd collector is off by default (golive reports units through services:)",
	"node_systemd_service_restart_total": "node_exporter's systemd collector is off by default",

	"node_hwmon_temp_celsius":              "no hwmon sensors in this VM",
	"node_hwmon_temp_crit_alarm_celsius":   "no hwmon sensors in this VM",
	"node_hwmon_temp_crit_celsius":         "no hwmon sensors in this VM",
	"node_hwmon_temp_crit_hyst_celsius":    "no hwmon sensors in this VM",
	"node_hwmon_temp_max_celsius":          "no hwmon sensors in this VM",
	"node_hwmon_chip_names":                "no hwmon sensors in this VM",
	"node_cooling_device_cur_state":        "no thermal cooling devices (/sys/class/thermal is empty)",
	"node_cooling_device_max_state":        "no thermal cooling devices (/sys/class/thermal is empty)",
	"node_power_supply_online":             "no power supply (/sys/class/power_supply is empty)",
	"node_cpu_scaling_frequency_hertz":     "no cpufreq in this VM (/sys/devices/system/cpu/cpu0/cpufreq is absent)",
	"node_cpu_scaling_frequency_max_hertz": "no cpufreq in this VM",
	"node_cpu_scaling_frequency_min_hertz": "no cpufreq in this VM",
	"node_schedstat_running_seconds_total": "the kernel has no /proc/schedstat (CONFIG_SCHEDSTATS off)",
	"node_schedstat_waiting_seconds_total": "the kernel has no /proc/schedstat",
	"node_schedstat_timeslices_total":      "the kernel has no /proc/schedstat",
	"node_memory_HardwareCorrupted_bytes":  "this kernel's /proc/meminfo has no HardwareCorrupted (CONFIG_MEMORY_FAILURE off)",
	// More collectors node_exporter leaves off by default (1860's panels
	// say "Enable with --collector.<name>").
	"node_systemd_units":                             "node_exporter's systemd collector is off by default",
	"node_systemd_socket_accepted_connections_total": "node_exporter's systemd collector is off by default",
	"node_processes_state":                           "node_exporter's processes collector is off by default",
	"node_processes_pids":                            "node_exporter's processes collector is off by default",
	"node_processes_max_processes":                   "node_exporter's processes collector is off by default",
	"node_processes_threads":                         "node_exporter's processes collector is off by default",
	"node_processes_max_threads":                     "node_exporter's processes collector is off by default",
	"node_interrupts_total":                          "node_exporter's interrupts collector is off by default",
	"node_tcp_connection_states":                     "node_exporter's tcpstat collector is off by default",
	// A label node_exporter never puts on this metric (operstate is on
	// node_network_info): the panel is empty with node_exporter too.
	`node_network_up{operstate="up"}`: "1860 selects operstate on node_network_up, which node_exporter labels by device only",
	// Not in node_exporter's default --collector.netstat.fields either.
	"node_netstat_Tcp_MaxConn": "not in node_exporter's default netstat field set",
	// No exporter has it: client_golang's process collector exports
	// process_virtual_memory_max_bytes, not a resident maximum.
	"process_resident_memory_max_bytes": "no client_golang process metric of that name exists",

	// Dashboard 9628 still uses the names postgres_exporter had before 0.11,
	// which renamed them to *_total (golive has the new names, as 0.11+ has):
	// these panels are empty with any current postgres_exporter too.
	"pg_stat_bgwriter_buffers_backend":       "9628 uses the pre-0.11 name of pg_stat_bgwriter_buffers_backend_total",
	"pg_stat_bgwriter_buffers_alloc":         "9628 uses the pre-0.11 name of pg_stat_bgwriter_buffers_alloc_total",
	"pg_stat_bgwriter_buffers_backend_fsync": "9628 uses the pre-0.11 name of pg_stat_bgwriter_buffers_backend_fsync_total",
	"pg_stat_bgwriter_buffers_checkpoint":    "9628 uses the pre-0.11 name of pg_stat_bgwriter_buffers_checkpoint_total",
	"pg_stat_bgwriter_buffers_clean":         "9628 uses the pre-0.11 name of pg_stat_bgwriter_buffers_clean_total",
	"pg_stat_bgwriter_checkpoint_write_time": "9628 uses the pre-0.11 name of pg_stat_bgwriter_checkpoint_write_time_total",
	"pg_stat_bgwriter_checkpoint_sync_time":  "9628 uses the pre-0.11 name of pg_stat_bgwriter_checkpoint_sync_time_total",
}

// queryFile is one file of testdata/dashboards.
type queryFile struct {
	Source struct {
		Repository string `yaml:"repository"`
		Path       string `yaml:"path"`
		Commit     string `yaml:"commit"`
		Dashboard  any    `yaml:"dashboard"`
	} `yaml:"source"`
	// Variables maps a dashboard variable ($job) to its value here;
	// "{{instance}}" stands for the exporter's address.
	Variables map[string]string `yaml:"variables"`
	Queries   []struct {
		Panel  string `yaml:"panel"`
		Record string `yaml:"record"`
		Alert  string `yaml:"alert"`
		Expr   string `yaml:"expr"`
	} `yaml:"queries"`
}

type dashboardQuery struct {
	file, what, expr string
	record           string // a recording rule's name
}

func loadDashboardQueries(t *testing.T, instance string) []dashboardQuery {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "dashboards", "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no query lists in testdata/dashboards: %v", err)
	}
	var out []dashboardQuery
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f queryFile
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if f.Source.Repository == "" || f.Source.Path == "" || f.Source.Commit == "" {
			t.Fatalf("%s: the source (repository, path, commit) is incomplete", path)
		}
		if len(f.Queries) == 0 {
			t.Fatalf("%s: no queries", path)
		}
		// Longest names first: $__rate_interval before $__interval.
		names := make([]string, 0, len(f.Variables))
		for name := range f.Variables {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
		for i, q := range f.Queries {
			expr := q.Expr
			for _, name := range names {
				value := strings.ReplaceAll(f.Variables[name], "{{instance}}", instance)
				expr = strings.ReplaceAll(expr, "${"+strings.TrimPrefix(name, "$")+"}", value)
				expr = strings.ReplaceAll(expr, name, value)
			}
			if strings.Contains(expr, "$") {
				t.Fatalf("%s: query %d (%s) keeps a variable after substitution: %s", path, i, q.Panel, expr)
			}
			what := q.Panel + q.Record + q.Alert
			out = append(out, dashboardQuery{file: filepath.Base(path), what: what, expr: expr, record: q.Record})
		}
	}
	return out
}

func TestDashboardQueriesReturnData(t *testing.T) {
	promBin := testenv.Tool(t, "PROMETHEUS", "prometheus")
	dsn := testenv.PostgresDSN(t)
	redisAddr := testenv.RedisAddr(t)
	bin := golive(t)
	dir := t.TempDir()

	exporterAddr := loopback(freePort(t))
	queries := loadDashboardQueries(t, exporterAddr)
	p := parser.NewParser(parser.Options{})
	for _, q := range queries {
		if _, err := p.ParseExpr(q.expr); err != nil {
			t.Fatalf("%s: %s: %q does not parse: %v", q.file, q.what, q.expr, err)
		}
	}

	cfg := map[string]any{
		"global":   map[string]any{"scrape_timeout": "5s", "scrape_timeout_offset": "100ms"},
		"host":     map[string]any{"enabled": true},
		"postgres": []any{map[string]any{"name": "main", "dsn": dsn}},
		"redis":    []any{map[string]any{"name": "main", "address": redisAddr}},
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	exporterCfg := writeFile(t, filepath.Join(dir, "exporter.yml"), b)
	exporter := startProc(t, dir, "exporter", bin, "exporter",
		"--config.file="+exporterCfg, "--web.listen-address="+exporterAddr)
	waitReady(t, exporter, "http://"+exporterAddr+"/-/ready", startTimeout)

	// The mixin's recording rules run in Prometheus, as they would in
	// production, so that what reads their series finds them.
	var rules []map[string]string
	for _, q := range queries {
		if q.record != "" {
			rules = append(rules, map[string]string{"record": q.record, "expr": q.expr})
		}
	}
	rb, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "node-exporter.rules", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	rulesPath := writeFile(t, filepath.Join(dir, "node.rules.yml"), rb)
	pcfg, err := yaml.Marshal(map[string]any{
		"global":     map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
		"rule_files": []string{rulesPath},
		// "node" is the job the node-mixin selects and 1860's $job.
		"scrape_configs": []any{map[string]any{
			"job_name":       "node",
			"static_configs": []any{map[string]any{"targets": []string{exporterAddr}}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	promCfg := writeFile(t, filepath.Join(dir, "prometheus.yml"), pcfg)
	promAddr := loopback(freePort(t))
	promURL := "http://" + promAddr
	prom := startProc(t, dir, "prometheus", promBin,
		"--config.file="+promCfg,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr)
	waitReady(t, prom, promURL+"/-/ready", startTimeout)

	// Enough scrapes for rate() and deriv() (two samples in their window)
	// and for the recording rules to have run on them.
	watch := []*proc{exporter, prom}
	waitFor(t, 60*time.Second, "6 successful scrapes of golive", watch, func() (bool, string) {
		n, err := promCount(promURL, `sum_over_time(up{job="node"}[1m])`)
		if err != nil {
			return false, err.Error()
		}
		return n >= 1 && promValue(promURL, `sum_over_time(up{job="node"}[1m])`) >= 6, "not yet"
	})
	waitFor(t, 30*time.Second, "the recording rules' first results", watch, func() (bool, string) {
		n, err := promCount(promURL, `instance:node_cpu_utilisation:rate5m`)
		return err == nil && n > 0, fmt.Sprint(err)
	})

	var (
		failures, allowed []string
		failed            int
		// missing maps a metric without any series to the queries that need it.
		missing = map[string][]string{}
	)
	for _, q := range queries {
		n, err := promCount(promURL, q.expr)
		if err != nil {
			t.Errorf("%s: %s: %v", q.file, q.what, err)
			continue
		}
		if n > 0 {
			continue
		}
		expr, _ := p.ParseExpr(q.expr)
		var absent, excused []string
		for _, sel := range selectors(expr) {
			c, err := promCount(promURL, sel.String())
			if err != nil {
				t.Errorf("%s: %s: selector %s: %v", q.file, q.what, sel, err)
				continue
			}
			if c > 0 {
				continue
			}
			if reason, ok := absentOnThisMachine[allowKey(sel)]; ok {
				excused = append(excused, allowKey(sel)+" ("+reason+")")
				continue
			}
			if reason, ok := absentOnThisMachine[sel.Name]; ok {
				excused = append(excused, sel.Name+" ("+reason+")")
				continue
			}
			if !slices.Contains(absent, sel.Name) {
				absent = append(absent, sel.Name)
			}
		}
		switch {
		case len(absent) > 0:
			failed++
			for _, name := range absent {
				missing[name] = append(missing[name], q.file+": "+q.what)
			}
		case len(excused) > 0:
			allowed = append(allowed, fmt.Sprintf("%s: %s: %s", q.file, q.what, strings.Join(excused, "; ")))
		case !filters(expr):
			failed++
			failures = append(failures, fmt.Sprintf("%s: %s: every selector has series, yet the query returns nothing\n\tquery: %s", q.file, q.what, q.expr))
		}
	}
	slices.Sort(allowed)
	for _, a := range slices.Compact(allowed) {
		t.Logf("empty, allowed: %s", a)
	}
	names := make([]string, 0, len(missing))
	for name := range missing {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		users := slices.Compact(missing[name])
		t.Errorf("%s has no series; %d queries need it: %s", name, len(users), strings.Join(users, "; "))
	}
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d queries run, %d fail (%d metrics without series), %d empty for reasons of this machine",
		len(queries), failed, len(missing), len(allowed))
}

// selectors returns the vector selectors of expr (those inside range
// selectors and subqueries included), without offset or @ modifiers.
func selectors(expr parser.Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			plain := &parser.VectorSelector{Name: vs.Name, LabelMatchers: vs.LabelMatchers}
			out = append(out, plain)
		}
		return nil
	})
	return out
}

// allowKey names a selector for absentOnThisMachine by its metric and the
// matchers other than the target's (job, instance) and the name:
// node_network_up{operstate="up"}.
func allowKey(sel *parser.VectorSelector) string {
	var ms []string
	for _, m := range sel.LabelMatchers {
		switch m.Name {
		case "job", "instance", "__name__":
			continue
		}
		ms = append(ms, m.String())
	}
	return sel.Name + "{" + strings.Join(ms, ",") + "}"
}

// filters reports whether expr can legitimately drop every series: a
// comparison without bool, or and/unless.
func filters(expr parser.Expr) bool {
	found := false
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		b, ok := node.(*parser.BinaryExpr)
		if !ok {
			return nil
		}
		if (b.Op.IsComparisonOperator() && !b.ReturnBool) || b.Op == parser.LAND || b.Op == parser.LUNLESS {
			found = true
		}
		return nil
	})
	return found
}

type promResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func promQuery(promURL, q string) (promResult, error) {
	var r promResult
	err := getJSON(promURL+"/api/v1/query?query="+url.QueryEscape(q), nil, &r)
	if err == nil && r.Status != "success" {
		err = fmt.Errorf("query %q: %s", q, r.Error)
	}
	return r, err
}

// promCount is how many series (or 1 for a scalar) an instant query returns.
func promCount(promURL, q string) (int, error) {
	r, err := promQuery(promURL, q)
	if err != nil {
		return 0, err
	}
	if r.Data.ResultType == "scalar" {
		return 1, nil
	}
	return len(r.Data.Result), nil
}

// promValue is the value of a one-series query, or -1.
func promValue(promURL, q string) float64 {
	r, err := promQuery(promURL, q)
	if err != nil || len(r.Data.Result) != 1 {
		return -1
	}
	var v float64
	if s, ok := r.Data.Result[0].Value[1].(string); ok {
		fmt.Sscan(s, &v)
	}
	return v
}
