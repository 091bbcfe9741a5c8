package rulegen

import (
	"fmt"
	"strconv"
	"time"

	"github.com/golive-ops/golive/internal/thresholds"
)

// The recording rules, each with a unit test that feeds raw exporter series
// and expects an exact value (inputs are chosen so every rate and ratio is
// exactly representable). Tests sample every minute and evaluate at 10m,
// when the 5m windows hold only steady data.

const (
	rateWindow   = "5m"
	testEvalTime = 10 * time.Minute
)

// counter is a counter rising by perMinute each minute, sampled 11 times.
func counter(perMinute int) string { return fmt.Sprintf("0+%dx10", perMinute) }

// gauge is a constant gauge sampled 11 times.
func gauge(v string) string { return v + "+0x10" }

func recordings(t *thresholds.Thresholds, s *samples) []Recording {
	var out []Recording
	out = append(out, hostRecordings(t, s)...)
	out = append(out, applicationRecordings(t, s)...)
	out = append(out, postgresRecordings(t, s)...)
	out = append(out, redisRecordings(t, s)...)
	out = append(out, probeRecording(t, s))
	out = append(out, backupRecordings(t, s)...)
	out = append(out, serviceRecording(t, s))
	return out
}

// foreignInput adds a series from a job the selector must ignore.
func foreignInput(in []inputSeries, name string, foreign map[string]string, kv []string, values string) []inputSeries {
	if foreign == nil {
		return in
	}
	return append(in, inputSeries{seriesText(name, with(foreign, kv...)), values})
}

func minuteTest(inputs []inputSeries, expect ...expSample) recordingTest {
	return recordingTest{interval: time.Minute, inputs: inputs, evalTime: testEvalTime, expect: expect}
}

func hostRecordings(t *thresholds.Thresholds, s *samples) []Recording {
	job := jobMatch(t.Jobs.Host)
	cpu := func(c, mode string) map[string]string { return with(s.host, "cpu", c, "mode", mode) }
	cpuInputs := []inputSeries{
		// cpu 0 idles 25% of the time, cpu 1 50% (idle + iowait): 62.5% busy.
		{seriesText("node_cpu_seconds_total", cpu("0", "idle")), counter(15)},
		{seriesText("node_cpu_seconds_total", cpu("0", "user")), counter(45)},
		{seriesText("node_cpu_seconds_total", cpu("1", "idle")), counter(15)},
		{seriesText("node_cpu_seconds_total", cpu("1", "iowait")), counter(15)},
		{seriesText("node_cpu_seconds_total", cpu("1", "system")), counter(30)},
	}
	cpuInputs = foreignInput(cpuInputs, "node_cpu_seconds_total", s.hostForeign, []string{"cpu", "0", "mode", "idle"}, counter(60))

	memInputs := []inputSeries{
		{seriesText("node_memory_MemTotal_bytes", s.host), gauge("1024")},
		{seriesText("node_memory_MemAvailable_bytes", s.host), gauge("256")},
	}
	memInputs = foreignInput(memInputs, "node_memory_MemTotal_bytes", s.hostForeign, nil, gauge("1024"))
	memInputs = foreignInput(memInputs, "node_memory_MemAvailable_bytes", s.hostForeign, nil, gauge("1024"))

	root := with(s.host, "device", "/dev/sda1", "fstype", "ext4", "mountpoint", "/")
	run := with(s.host, "device", "tmpfs", "fstype", "tmpfs", "mountpoint", "/run")
	fsInputs := []inputSeries{
		{seriesText("node_filesystem_size_bytes", root), gauge("1000")},
		{seriesText("node_filesystem_avail_bytes", root), gauge("250")},
		{seriesText("node_filesystem_size_bytes", run), gauge("100")},
		{seriesText("node_filesystem_avail_bytes", run), gauge("0")},
	}
	return []Recording{
		{
			Group:  groupHost,
			Record: RecordCPU,
			Expr: fmt.Sprintf(`1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{%s, mode=~"idle|iowait|steal"}[%s])))`,
				job, rateWindow),
			test: minuteTest(cpuInputs, expSample{seriesText(RecordCPU, s.host), 0.625}),
		},
		{
			Group:  groupHost,
			Record: RecordMemory,
			Expr:   fmt.Sprintf(`1 - (node_memory_MemAvailable_bytes{%[1]s} / node_memory_MemTotal_bytes{%[1]s})`, job),
			test:   minuteTest(memInputs, expSample{seriesText(RecordMemory, s.host), 0.75}),
		},
		{
			Group:  groupHost,
			Record: RecordFilesystem,
			Expr: fmt.Sprintf(`1 - (node_filesystem_avail_bytes{%[1]s, fstype!~%[2]s} / node_filesystem_size_bytes{%[1]s, fstype!~%[2]s})`,
				job, strconv.Quote(fsExcluded)),
			test: minuteTest(fsInputs, expSample{seriesText(RecordFilesystem, root), 0.75}),
		},
	}
}

func applicationRecordings(t *thresholds.Thresholds, s *samples) []Recording {
	job := jobMatch(t.Jobs.Application)
	label := t.Application.StatusLabel
	var latency, requests []inputSeries
	for _, instance := range []string{"web-1:8080", "web-2:8080"} {
		// Summed over both instances: 4/s at or below 0.5s, 5/s in all:
		// the 95th percentile interpolates to 0.875s.
		base := with(s.app[0], "instance", instance)
		latency = append(latency,
			inputSeries{seriesText("http_request_duration_seconds_bucket", with(base, "le", "0.5")), counter(120)},
			inputSeries{seriesText("http_request_duration_seconds_bucket", with(base, "le", "1")), counter(150)},
			inputSeries{seriesText("http_request_duration_seconds_bucket", with(base, "le", "+Inf")), counter(150)},
		)
	}
	latency = foreignInput(latency, "http_request_duration_seconds_bucket", s.appForeign, []string{"le", "+Inf"}, counter(60))
	first := with(s.app[0], "instance", "web-1:8080")
	// 0.25 errors/s of 4 requests/s: 6.25%.
	requests = append(requests,
		inputSeries{seriesText("http_requests_total", with(first, label, s.okStatus)), counter(225)},
		inputSeries{seriesText("http_requests_total", with(first, label, s.errorStatus)), counter(15)},
	)
	errorsExpected := []expSample{{seriesText(RecordErrorRatio, s.app[0]), 0.0625}}
	if len(s.app) > 1 {
		// A job without a single error reports 0, not nothing.
		requests = append(requests, inputSeries{seriesText("http_requests_total", with(s.app[1], "instance", "api-1:8080", label, s.okStatus)), counter(60)})
		errorsExpected = append(errorsExpected, expSample{seriesText(RecordErrorRatio, s.app[1]), 0})
	}
	requests = foreignInput(requests, "http_requests_total", s.appForeign, []string{label, s.errorStatus}, counter(60))
	all := fmt.Sprintf(`sum by (job) (rate(http_requests_total{%s}[%s]))`, job, rateWindow)
	failed := fmt.Sprintf(`sum by (job) (rate(http_requests_total{%s, %s=~%s}[%s]))`, job, label, strconv.Quote(t.Application.ErrorStatus), rateWindow)
	return []Recording{
		{
			Group:  groupApplication,
			Record: RecordLatencyP95,
			Expr:   fmt.Sprintf(`histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{%s}[%s])))`, job, rateWindow),
			test:   minuteTest(latency, expSample{seriesText(RecordLatencyP95, s.app[0]), 0.875}),
		},
		{
			Group:  groupApplication,
			Record: RecordErrorRatio,
			Expr:   fmt.Sprintf(`(%s or 0 * %s) / %s`, failed, all, all),
			test:   minuteTest(requests, errorsExpected...),
		},
	}
}

const pgBy = "job, instance, server"

func postgresRecordings(t *thresholds.Thresholds, s *samples) []Recording {
	job := jobMatch(t.Jobs.Postgres)
	app := with(s.pg, "datname", "app")
	conns := []inputSeries{
		{seriesText("pg_stat_activity_count", with(app, "state", "active")), gauge("30")},
		{seriesText("pg_stat_activity_count", with(app, "state", "idle")), gauge("10")},
		{seriesText("pg_stat_activity_count", with(s.pg, "datname", "postgres", "state", "idle")), gauge("24")},
		{seriesText("pg_settings_max_connections", s.pg), gauge("100")},
	}
	conns = foreignInput(conns, "pg_settings_max_connections", s.pgForeign, nil, gauge("10"))
	conns = foreignInput(conns, "pg_stat_activity_count", s.pgForeign, []string{"datname", "app", "state", "idle"}, gauge("10"))
	cache := []inputSeries{
		{seriesText("pg_stat_database_blks_hit", app), counter(5700)},
		{seriesText("pg_stat_database_blks_read", app), counter(300)},
	}
	cache = foreignInput(cache, "pg_stat_database_blks_hit", s.pgForeign, []string{"datname", "app"}, counter(60))
	cache = foreignInput(cache, "pg_stat_database_blks_read", s.pgForeign, []string{"datname", "app"}, counter(60))

	window := time.Duration(t.Postgres.Deadlocks.Window)
	deadlocks := windowTest("pg_stat_database_deadlocks", app, s.pgForeign, []string{"datname", "app"}, RecordPGDeadlocks(t), window)
	hits := func(metric string) string {
		return fmt.Sprintf(`sum by (%s, datname) (rate(%s{%s}[%s]))`, pgBy, metric, job, rateWindow)
	}
	return []Recording{
		{
			Group:  groupPostgres,
			Record: RecordPGConnections,
			Expr:   fmt.Sprintf(`sum by (%[1]s) (pg_stat_activity_count{%[2]s}) / max by (%[1]s) (pg_settings_max_connections{%[2]s})`, pgBy, job),
			test:   minuteTest(conns, expSample{seriesText(RecordPGConnections, s.pg), 0.64}),
		},
		{
			Group:  groupPostgres,
			Record: RecordPGCacheHit,
			Expr:   fmt.Sprintf(`%s / (%s + %s)`, hits("pg_stat_database_blks_hit"), hits("pg_stat_database_blks_hit"), hits("pg_stat_database_blks_read")),
			test:   minuteTest(cache, expSample{seriesText(RecordPGCacheHit, app), 0.95}),
		},
		{
			Group:  groupPostgres,
			Record: RecordPGDeadlocks(t),
			Expr:   fmt.Sprintf(`sum by (%s, datname) (increase(pg_stat_database_deadlocks{%s}[%s]))`, pgBy, job, t.Postgres.Deadlocks.Window),
			test:   deadlocks,
		},
	}
}

// windowTest feeds a counter rising by one per sample, sampled at a step
// that divides the window, so the window's increase is exactly window/step.
func windowTest(metric string, labels, foreign map[string]string, foreignKV []string, record string, window time.Duration) recordingTest {
	step := gcd(window, time.Minute)
	samples := int64(window/step) * 2
	values := fmt.Sprintf("0+1x%d", samples)
	in := []inputSeries{{seriesText(metric, labels), values}}
	in = foreignInput(in, metric, foreign, foreignKV, fmt.Sprintf("0+5x%d", samples))
	return recordingTest{
		interval: step,
		inputs:   in,
		evalTime: time.Duration(samples) * step,
		expect:   []expSample{{seriesText(record, labels), float64(window / step)}},
	}
}

func redisRecordings(t *thresholds.Thresholds, s *samples) []Recording {
	job := jobMatch(t.Jobs.Redis)
	unlimited := with(s.redis, "instance", "cache-2:9121")
	mem := []inputSeries{
		{seriesText("redis_memory_used_bytes", s.redis), gauge("768")},
		{seriesText("redis_memory_max_bytes", s.redis), gauge("1024")},
		// No maxmemory: no ratio.
		{seriesText("redis_memory_used_bytes", unlimited), gauge("768")},
		{seriesText("redis_memory_max_bytes", unlimited), gauge("0")},
	}
	mem = foreignInput(mem, "redis_memory_used_bytes", s.redisForeign, nil, gauge("1"))
	mem = foreignInput(mem, "redis_memory_max_bytes", s.redisForeign, nil, gauge("2"))
	save := []inputSeries{{seriesText("redis_rdb_last_save_timestamp_seconds", s.redis), gauge("120")}}
	save = foreignInput(save, "redis_rdb_last_save_timestamp_seconds", s.redisForeign, nil, gauge("0"))
	window := time.Duration(t.Redis.RejectedConnections.Window)
	return []Recording{
		{
			Group:  groupRedis,
			Record: RecordRedisMemory,
			Expr:   fmt.Sprintf(`redis_memory_used_bytes{%[1]s} / (redis_memory_max_bytes{%[1]s} > 0)`, job),
			test:   minuteTest(mem, expSample{seriesText(RecordRedisMemory, s.redis), 0.75}),
		},
		{
			Group:  groupRedis,
			Record: RecordRedisRejected(t),
			Expr:   fmt.Sprintf(`increase(redis_rejected_connections_total{%s}[%s])`, job, t.Redis.RejectedConnections.Window),
			test:   windowTest("redis_rejected_connections_total", s.redis, s.redisForeign, nil, RecordRedisRejected(t), window),
		},
		{
			Group:  groupRedis,
			Record: RecordRedisLastSave,
			Expr:   fmt.Sprintf(`time() - redis_rdb_last_save_timestamp_seconds{%s}`, job),
			// Saved at t=120s; evaluated at t=600s.
			test: minuteTest(save, expSample{seriesText(RecordRedisLastSave, s.redis), 480}),
		},
	}
}

func probeRecording(t *thresholds.Thresholds, s *samples) Recording {
	in := []inputSeries{{seriesText("probe_ssl_earliest_cert_expiry", s.probe), gauge("864600")}}
	in = foreignInput(in, "probe_ssl_earliest_cert_expiry", s.probeForeign, nil, gauge("0"))
	return Recording{
		Group:  groupProbes,
		Record: RecordCertRemaining,
		Expr:   fmt.Sprintf(`probe_ssl_earliest_cert_expiry{%s} - time()`, jobMatch(t.Jobs.Probes)),
		// Expires 10 days after the evaluation at t=600s.
		test: minuteTest(in, expSample{seriesText(RecordCertRemaining, s.probe), 864000}),
	}
}

func backupRecordings(t *thresholds.Thresholds, s *samples) []Recording {
	job := jobMatch(t.Jobs.Exporter)
	labels := with(s.exporter, "backup", "pg")
	age := func(metric, record string) Recording {
		in := []inputSeries{{seriesText(metric, labels), gauge("60")}}
		var foreign map[string]string
		if s.exporterForeign != nil {
			foreign = with(s.exporterForeign, "backup", "pg")
		}
		in = foreignInput(in, metric, foreign, nil, gauge("0"))
		return Recording{
			Group:  groupBackups,
			Record: record,
			Expr:   fmt.Sprintf(`time() - %s{%s}`, metric, job),
			test:   minuteTest(in, expSample{seriesText(record, labels), 540}),
		}
	}
	return []Recording{
		age("golive_backup_newest_timestamp_seconds", RecordBackupAge),
		age("golive_backup_restore_test_timestamp_seconds", RecordRestoreTestAge),
	}
}

func serviceRecording(t *thresholds.Thresholds, s *samples) Recording {
	names := strconv.Quote(t.Services.Names)
	unitNames := strconv.Quote(`(?:` + t.Services.Names + `)\.service`)
	expr := fmt.Sprintf(`max by (job, instance, service) (label_replace(node_systemd_unit_state{%s, state="active", name=~%s}, "service", "$1", "name", "(.+)\\.service"))`+
		` or max by (job, instance, service) (golive_service_up{%s, service=~%s})`,
		jobMatch(t.Jobs.Host), unitNames, jobMatch(t.Jobs.Exporter), names)
	unit := func(name, state, v string) inputSeries {
		return inputSeries{seriesText("node_systemd_unit_state", with(s.host, "name", name+".service", "state", state, "type", "simple")), gauge(v)}
	}
	watched := s.services[0]
	in := []inputSeries{unit(watched, "active", "1"), unit(watched, "inactive", "0"), unit(watched, "failed", "0")}
	if s.serviceIgnored != "" {
		in = append(in, unit(s.serviceIgnored, "active", "0"))
	}
	processHost := with(s.exporter, "instance", "host-2:9469")
	in = append(in, inputSeries{seriesText("golive_service_up", with(processHost, "service", watched, "backend", "process")), gauge("0")})
	return Recording{
		Group:  groupServices,
		Record: RecordServiceUp,
		Expr:   expr,
		test: minuteTest(in,
			expSample{seriesText(RecordServiceUp, with(s.host, "service", watched)), 1},
			expSample{seriesText(RecordServiceUp, with(processHost, "service", watched)), 0},
		),
	}
}

func gcd(a, b time.Duration) time.Duration {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
