package redis

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// sink receives the samples the INFO parser finds.
type sink interface {
	metric(d *metricDef, value float64, labelValues ...string)
	summary(d *metricDef, count uint64, sum float64, quantiles map[float64]float64, labelValues ...string)
	// instanceInfo is separate because its label set grows with the server
	// (valkey_version, availability_zone), as redis_exporter's does.
	instanceInfo(labelNames, labelValues []string)
}

// parseParams are the inputs besides the INFO text.
type parseParams struct {
	now       time.Time
	databases int // empty databases below this index report db_keys 0
}

type cmdStat struct {
	calls float64
	usec  float64
}

type latencyStat struct {
	cmd       string
	quantiles map[float64]float64
}

// infoParser walks the text of INFO ALL once and emits redis_exporter's
// metrics for it. It keeps references into the INFO text instead of copies.
type infoParser struct {
	out     sink
	params  parseParams
	section string

	masterHost, masterPort string
	instance               instanceFields
	cmdStats               map[string]cmdStat
	latencies              []latencyStat
	seenDB                 []bool
	clusterEnabled         bool
	config                 configValues
}

// instanceFields are the INFO fields redis_instance_info and
// redis_slave_info are made of.
type instanceFields struct {
	role, version, buildID, mode, serverMode, os, maxmemoryPolicy, tcpPort string
	runID, processID, masterReplID, masterHost, masterPort, slaveReadOnly  string
	valkeyVersion, valkeyReleaseStage, availabilityZone                    string
	hasValkeyVersion, hasValkeyReleaseStage                                bool
}

// parseInfo emits the metrics of one INFO ALL reply into out. It reports
// which of the redis_config_* values INFO carried.
func parseInfo(info string, params parseParams, out sink) configValues {
	p := infoParser{out: out, params: params, seenDB: make([]bool, params.databases)}
	for len(info) > 0 {
		var line string
		line, info, _ = strings.Cut(info, "\n")
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "# ") {
			p.section = line[2:]
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if len(line) < 2 || !ok {
			continue
		}
		p.field(key, value)
	}
	p.finish()
	return p.config
}

func (p *infoParser) field(key, value string) {
	p.remember(key, value)
	switch p.section {
	case "Replication":
		if p.replication(key, value) {
			return
		}
	case "Server":
		p.server(key, value)
	case "Commandstats":
		p.commandStat(key, value)
		return
	case "Latencystats":
		p.latencyStat(key, value)
		return
	case "Errorstats":
		p.errorStat(key, value)
		return
	case "Cluster Info":
		return // Valkey 9.1 repeats CLUSTER INFO here; it is not INFO data
	case "Keyspace":
		if p.keyspace(key, value) {
			return
		}
	}
	p.generic(key, value)
}

// generic handles the one-field-one-metric entries of the tables.
func (p *infoParser) generic(key, value string) {
	if thread, ok := strings.CutPrefix(key, "used_active_time_io_thread_"); ok && isDigits(thread) {
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			p.out.metric(mIOThreadTime, v, thread)
		}
		return
	}
	d, ok := infoFields[key]
	if !ok {
		return
	}
	v, ok := parseInfoValue(value)
	if !ok {
		return
	}
	p.out.metric(d, v*d.scale)
	if cd, ok := p.config.found(key); ok {
		p.out.metric(cd, v)
	}
}

// parseInfoValue reads a number, or a status word as redis_exporter does
// (ok/true 1, err/fail/false 0), so rdb_last_bgsave_status:ok is 1.
func parseInfoValue(s string) (float64, bool) {
	switch s {
	case "ok", "true":
		return 1, true
	case "err", "fail", "false":
		return 0, true
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func (p *infoParser) remember(key, value string) {
	f := &p.instance
	switch key {
	case "role":
		f.role = value
	case "redis_version":
		f.version = value
	case "redis_build_id":
		f.buildID = value
	case "redis_mode":
		f.mode = value
	case "server_mode":
		f.serverMode = value
	case "os":
		f.os = value
	case "maxmemory_policy":
		f.maxmemoryPolicy = value
	case "tcp_port":
		f.tcpPort = value
	case "run_id":
		f.runID = value
	case "process_id":
		f.processID = value
	case "master_replid":
		f.masterReplID = value
	case "master_host":
		f.masterHost = value
	case "master_port":
		f.masterPort = value
	case "slave_read_only":
		f.slaveReadOnly = value
	case "valkey_version":
		f.valkeyVersion, f.hasValkeyVersion = value, true
	case "valkey_release_stage":
		f.valkeyReleaseStage, f.hasValkeyReleaseStage = value, true
	case "availability_zone":
		f.availabilityZone = value
	case "cluster_enabled":
		p.clusterEnabled = value == "1"
	}
	// KeyDB multi-master numbers its masters (master_1_host); the labels
	// follow the latest one seen, as in redis_exporter.
	if suffix, ok := masterField(key); ok {
		switch {
		case strings.HasPrefix(suffix, "host"):
			p.masterHost = value
		case strings.HasPrefix(suffix, "port"):
			p.masterPort = value
		}
	}
}

// masterField matches master_<suffix> and master_<n>_<suffix>.
func masterField(key string) (suffix string, ok bool) {
	rest, ok := strings.CutPrefix(key, "master_")
	if !ok {
		return "", false
	}
	if i := strings.IndexByte(rest, '_'); i > 0 && isDigits(rest[:i]) {
		rest = rest[i+1:]
	}
	return rest, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (p *infoParser) server(key, value string) {
	switch key {
	case "uptime_in_seconds":
		if uptime, err := strconv.ParseFloat(value, 64); err == nil {
			p.out.metric(mStartTime, float64(p.params.now.Unix())-uptime)
		}
	case "configured_hz":
		if hz, err := strconv.ParseInt(value, 10, 64); err == nil {
			p.out.metric(mConfiguredHz, float64(hz))
		}
	case "hz":
		if hz, err := strconv.ParseInt(value, 10, 64); err == nil {
			p.out.metric(mHz, float64(hz))
		}
	}
}

// replication handles the fields with master or replica labels and reports
// whether it consumed the field.
func (p *infoParser) replication(key, value string) bool {
	if suffix, ok := masterField(key); ok {
		var d *metricDef
		switch {
		case strings.HasPrefix(suffix, "link_status"):
			up := 0.0
			if value == "up" {
				up = 1
			}
			p.out.metric(mMasterLinkUp, up, p.masterHost, p.masterPort)
			return true
		case strings.HasPrefix(suffix, "last_io_seconds_ago"):
			d = mMasterLastIO
		case strings.HasPrefix(suffix, "sync_in_progress"):
			d = mMasterSync
		}
		if d != nil {
			v, _ := strconv.Atoi(value) // redis_exporter reports 0 for garbage
			p.out.metric(d, float64(v), p.masterHost, p.masterPort)
			return true
		}
	}
	if strings.HasPrefix(key, "slave_repl_offset") {
		v, _ := strconv.Atoi(value)
		p.out.metric(mSlaveOffset, float64(v), p.masterHost, p.masterPort)
		return true
	}
	if r, ok := parseConnectedSlave(key, value); ok {
		p.out.metric(mSlaveOffsetB, r.offset, r.ip, r.port, r.state)
		if r.hasLag {
			p.out.metric(mSlaveLag, r.lag, r.ip, r.port, r.state)
		}
		return true
	}
	return false
}

type connectedSlave struct {
	ip, port, state string
	offset, lag     float64
	hasLag          bool
}

// parseConnectedSlave reads slave0:ip=10.0.0.1,port=6379,state=online,offset=1,lag=0.
func parseConnectedSlave(key, value string) (connectedSlave, bool) {
	var r connectedSlave
	n, ok := strings.CutPrefix(key, "slave")
	if !ok || n == "" || n[0] < '0' || n[0] > '9' {
		return r, false
	}
	var offset, lag string
	for part := range strings.SplitSeq(value, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.Contains(v, "=") {
			return r, false
		}
		switch k {
		case "ip":
			r.ip = v
		case "port":
			r.port = v
		case "state":
			r.state = v
		case "offset":
			offset = v
		case "lag":
			lag, r.hasLag = v, true
		}
	}
	var err error
	if r.offset, err = strconv.ParseFloat(offset, 64); err != nil {
		return r, false
	}
	if r.hasLag { // Redis before 3.0 has no lag
		if r.lag, err = strconv.ParseFloat(lag, 64); err != nil {
			return r, false
		}
	}
	return r, true
}

// commandStat reads cmdstat_get:calls=21,usec=175,usec_per_call=8.33
// [,rejected_calls=0,failed_calls=0] (the last two since Redis 6.2).
func (p *infoParser) commandStat(key, value string) {
	cmd, ok := strings.CutPrefix(key, "cmdstat_")
	if !ok {
		return
	}
	var st cmdStat
	var rejected, failed float64
	var haveCalls, haveUsec, haveRejected, haveFailed bool
	for part := range strings.SplitSeq(value, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		switch k {
		case "calls":
			st.calls, haveCalls = f, true
		case "usec":
			st.usec, haveUsec = f, true
		case "rejected_calls":
			rejected, haveRejected = f, true
		case "failed_calls":
			failed, haveFailed = f, true
		}
	}
	if !haveCalls || !haveUsec {
		return
	}
	p.out.metric(mCmdCalls, st.calls, cmd)
	p.out.metric(mCmdDuration, st.usec*mCmdDuration.scale, cmd)
	if haveRejected && haveFailed {
		p.out.metric(mCmdRejected, rejected, cmd)
		p.out.metric(mCmdFailed, failed, cmd)
	}
	if p.cmdStats == nil {
		p.cmdStats = make(map[string]cmdStat, 64)
	}
	p.cmdStats[cmd] = st
}

// latencyStat reads latency_percentiles_usec_get:p50=1.003,p99=2.007,p99.9=3.007
// (Redis 7). The summary needs the command's count and sum, so it is emitted
// in finish.
func (p *infoParser) latencyStat(key, value string) {
	cmd, ok := strings.CutPrefix(key, "latency_percentiles_usec_")
	if !ok {
		return
	}
	q := make(map[float64]float64, 3)
	for part := range strings.SplitSeq(value, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || len(k) < 2 {
			return
		}
		pct, err := strconv.ParseFloat(k[1:], 64)
		if err != nil {
			return
		}
		val, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return
		}
		q[pct] = val
	}
	p.latencies = append(p.latencies, latencyStat{cmd: cmd, quantiles: q})
}

// errorStat reads errorstat_ERR:count=4.
func (p *infoParser) errorStat(key, value string) {
	kind, ok := strings.CutPrefix(key, "errorstat_")
	if !ok {
		return
	}
	k, v, ok := strings.Cut(value, "=")
	if !ok || k == "" || strings.Contains(v, "=") {
		return
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		p.out.metric(mErrors, n, kind)
	}
}

// keyspace reads db0:keys=1,expires=0,avg_ttl=0[,subexpiry=0]. It emits
// nothing unless the whole line parses, like redis_exporter.
func (p *infoParser) keyspace(key, value string) bool {
	if !strings.HasPrefix(key, "db") {
		return false
	}
	var vals [5]float64 // keys, expires, avg_ttl, cached_keys, subexpiry
	var have [5]bool
	for part := range strings.SplitSeq(value, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return false
		}
		i := -1
		switch k {
		case "keys":
			i = 0
		case "expires":
			i = 1
		case "avg_ttl":
			i = 2
		case "cached_keys":
			i = 3
		case "subexpiry", "keys_with_volatile_items":
			i = 4
		}
		if i < 0 || have[i] {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		vals[i], have[i] = f, true
	}
	if !have[0] || !have[1] {
		return false
	}
	for i, d := range [5]*metricDef{mDBKeys, mDBExpiring, mDBAvgTTL, mDBCached, mDBSubexpiry} {
		if have[i] {
			p.out.metric(d, vals[i]*d.scale, key)
		}
	}
	if n, err := strconv.Atoi(key[2:]); err == nil && n >= 0 && n < len(p.seenDB) {
		p.seenDB[n] = true
	}
	return true
}

func (p *infoParser) finish() {
	for _, l := range p.latencies {
		if st, ok := p.cmdStats[l.cmd]; ok {
			p.out.summary(mLatencyPct, uint64(st.calls), st.usec, l.quantiles, l.cmd)
		}
	}
	databases := len(p.seenDB)
	if p.clusterEnabled {
		databases = 1 // a cluster node has only db0
	}
	for i := range databases {
		if !p.seenDB[i] {
			db := "db" + strconv.Itoa(i)
			p.out.metric(mDBKeys, 0, db)
			p.out.metric(mDBExpiring, 0, db)
		}
	}
	p.emitInstanceInfo()
}

func (p *infoParser) emitInstanceInfo() {
	f := &p.instance
	mode := f.mode
	if mode == "" {
		mode = f.serverMode
	}
	names := instanceInfoLabels
	values := []string{f.role, f.version, f.buildID, mode, f.os, f.maxmemoryPolicy, f.tcpPort, f.runID, f.processID, f.masterReplID}
	if f.hasValkeyVersion || f.hasValkeyReleaseStage || f.availabilityZone != "" {
		names = slices.Clip(names) // the appends below must not write into instanceInfoLabels
		if f.hasValkeyVersion {
			names, values = append(names, "valkey_version"), append(values, f.valkeyVersion)
		}
		if f.hasValkeyReleaseStage {
			names, values = append(names, "valkey_release_stage"), append(values, f.valkeyReleaseStage)
		}
		if f.availabilityZone != "" {
			names, values = append(names, "availability_zone"), append(values, f.availabilityZone)
		}
	}
	p.out.instanceInfo(names, values)
	if f.role == "slave" {
		p.out.metric(mSlaveInfo, 1, f.masterHost, f.masterPort, f.slaveReadOnly)
	}
}
