package host

import (
	"context"
	"fmt"
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// vmstat (/proc/vmstat). procfs has no parser for this file; like
// node_exporter's, this one exports the fields the regexp selects, untyped.
type vmstatCollector struct {
	fs     hostFS
	fields *regexp.Regexp

	mu    sync.Mutex
	descs map[string]*prometheus.Desc // per field name; nil when not selected
}

func newVMStatCollector(cfg FieldsConfig, fs hostFS) (*vmstatCollector, error) {
	re, err := compileExclude(cfg.Fields)
	if err != nil {
		return nil, fmt.Errorf("vmstat.fields: %w", err)
	}
	return &vmstatCollector{fs: fs, fields: re, descs: map[string]*prometheus.Desc{}}, nil
}

func (c *vmstatCollector) Name() string   { return VMStat }
func (c *vmstatCollector) Target() string { return "" }

func (c *vmstatCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var fields [][]byte
	return c.fs.read(c.fs.procPath("vmstat"), func(b []byte) error {
		return eachLine(b, func(line []byte) error {
			fields = appendFields(fields, line)
			if len(fields) != 2 {
				return fmt.Errorf("invalid line %q", line)
			}
			d := c.desc(fields[0])
			if d == nil {
				return nil
			}
			v, err := parseFloat(fields[1])
			if err != nil {
				return fmt.Errorf("%s %q: %w", fields[0], fields[1], err)
			}
			ch <- prometheus.MustNewConstMetric(d, prometheus.UntypedValue, v)
			return nil
		})
	})
}

// desc returns the field's Desc, or nil when the regexp leaves it out; both
// answers are kept so the regexp runs once per field name, not per scrape.
func (c *vmstatCollector) desc(name []byte) *prometheus.Desc {
	if d, ok := c.descs[string(name)]; ok {
		return d
	}
	var d *prometheus.Desc
	n := string(name)
	if c.fields == nil || c.fields.MatchString(n) {
		d = desc("node_vmstat_"+n, "/proc/vmstat information field "+n+".")
	}
	if len(c.descs) < 4096 {
		c.descs[n] = d
	}
	return d
}
