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
// server version, so the cache stays bounded.
type settingDescs struct {
	constLabels prometheus.Labels
	mu          sync.Mutex
	byName      map[string]*prometheus.Desc
}

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
