package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// setting is one row of pg_settings with a bool, integer or real value.
type setting struct {
	name, value, unit, shortDesc, vartype string
}

// metricName, help and value follow postgres_exporter: pg_settings_<name>,
// with a _seconds or _bytes suffix when the unit was converted; "on" is 1;
// -1 (the usual "disabled") is kept as is rather than converted.
func (s setting) metric() (name, help string, value float64, err error) {
	name = "pg_settings_" + strings.ReplaceAll(s.name, ".", "_")
	help = s.shortDesc
	switch s.vartype {
	case "bool":
		if s.value == "on" {
			value = 1
		}
		return name, help, value, nil
	case "integer", "real":
	default:
		return "", "", 0, fmt.Errorf("setting %s: unsupported vartype %q", s.name, s.vartype)
	}
	value, err = strconv.ParseFloat(s.value, 64)
	if err != nil {
		return "", "", 0, fmt.Errorf("setting %s: value %q: %w", s.name, s.value, err)
	}
	if s.unit == "" {
		return name, help, value, nil
	}
	suffix, factor, ok := unitFactor(s.unit)
	if !ok {
		return "", "", 0, fmt.Errorf("setting %s: unknown unit %q", s.name, s.unit)
	}
	if value != -1 {
		value *= factor
	}
	return name + "_" + suffix, fmt.Sprintf("%s [Units converted to %s.]", help, suffix), value, nil
}

// unitFactor converts PostgreSQL's setting units
// (https://www.postgresql.org/docs/current/config-setting.html) to base units.
// Block-sized units depend on the build (BLCKSZ, XLOG_BLCKSZ); the list is
// postgres_exporter's, so that no setting it reports goes missing here.
func unitFactor(unit string) (suffix string, factor float64, ok bool) {
	switch unit {
	case "ms":
		return "seconds", 1.0 / 1000, true
	case "s":
		return "seconds", 1, true
	case "min":
		return "seconds", 60, true
	case "h":
		return "seconds", 60 * 60, true
	case "d":
		return "seconds", 24 * 60 * 60, true
	case "B":
		return "bytes", 1, true
	case "kB", "1kB":
		return "bytes", 1 << 10, true
	case "2kB":
		return "bytes", 2 << 10, true
	case "4kB":
		return "bytes", 4 << 10, true
	case "8kB":
		return "bytes", 8 << 10, true
	case "16kB":
		return "bytes", 16 << 10, true
	case "32kB":
		return "bytes", 32 << 10, true
	case "64kB":
		return "bytes", 64 << 10, true
	case "MB":
		return "bytes", 1 << 20, true
	case "16MB":
		return "bytes", 16 << 20, true
	case "32MB":
		return "bytes", 32 << 20, true
	case "64MB":
		return "bytes", 64 << 20, true
	case "GB":
		return "bytes", 1 << 30, true
	case "TB":
		return "bytes", 1 << 40, true
	}
	return "", 0, false
}

// settingDescs caches one descriptor per setting: building ~250 of them on
// every scrape would cost more than the query. Settings are a closed set per
// server version, so the cache stays bounded. It also keeps, per backend, the
// last settings read and their version (see settingsSQL).
type settingDescs struct {
	constLabels prometheus.Labels
	mu          sync.Mutex
	byName      map[string]*prometheus.Desc
	byBackend   map[uint32]*backendSettings
	reads       uint64 // counts store and cached calls, to find the idlest backend
}

type backendSettings struct {
	version  string
	metrics  []prometheus.Metric
	lastRead uint64
}

// maxBackends bounds the per-backend cache: a pool has a few connections,
// and a reconnect leaves its old backend behind.
const maxBackends = 8

func (c *settingDescs) get(name, help string) *prometheus.Desc {
	key := name + "\x00" + help
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.byName[key]; ok {
		return d
	}
	if c.byName == nil {
		c.byName = make(map[string]*prometheus.Desc)
	}
	d := prometheus.NewDesc(name, help, nil, c.constLabels)
	c.byName[key] = d
	return d
}

// version returns the settings version last read through backend pid, or
// "" when there is none.
func (c *settingDescs) version(pid uint32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.byBackend[pid]; b != nil {
		return b.version
	}
	return ""
}

// store keeps metrics as the settings of version.
func (c *settingDescs) store(version string, metrics []prometheus.Metric) {
	pid, ok := versionPID(version)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byBackend == nil {
		c.byBackend = make(map[uint32]*backendSettings)
	}
	if _, known := c.byBackend[pid]; !known && len(c.byBackend) >= maxBackends {
		var idlest uint32
		oldest := ^uint64(0)
		for p, b := range c.byBackend {
			if b.lastRead < oldest {
				idlest, oldest = p, b.lastRead
			}
		}
		delete(c.byBackend, idlest)
	}
	c.reads++
	c.byBackend[pid] = &backendSettings{version: version, metrics: metrics, lastRead: c.reads}
}

// cached returns the settings stored for version. A backend serves one
// scrape at a time, so they are there unless more than maxBackends other
// backends were read since; then this scrape goes without them and the next
// reads them afresh.
func (c *settingDescs) cached(version string) []prometheus.Metric {
	pid, ok := versionPID(version)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.byBackend[pid]
	if b == nil || b.version != version {
		return nil
	}
	c.reads++
	b.lastRead = c.reads
	return b.metrics
}

// versionPID reads the backend pid a settings version starts with.
func versionPID(version string) (uint32, bool) {
	head, _, _ := strings.Cut(version, " ")
	pid, err := strconv.ParseUint(head, 10, 32)
	return uint32(pid), err == nil
}
