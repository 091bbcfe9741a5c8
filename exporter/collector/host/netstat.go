package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// netstat (/proc/net/netstat, /proc/net/snmp, /proc/net/snmp6), the
// node_exporter 1.5 way: every "Protocol_Field" the regexp selects, untyped.
// node_exporter's newest release reads these through procfs's typed structs
// and reflection; parsing the files directly gives the same names and values
// at a fraction of the cost, and picks up fields procfs does not know yet.
type netstatCollector struct {
	fs     hostFS
	fields *regexp.Regexp

	mu    sync.Mutex
	key   []byte
	descs map[string]*prometheus.Desc // per Protocol_Field; nil when not selected
	names [][]byte
	vals  [][]byte
}

func newNetStatCollector(cfg FieldsConfig, fs hostFS) (*netstatCollector, error) {
	re, err := compileExclude(cfg.Fields)
	if err != nil {
		return nil, fmt.Errorf("netstat.fields: %w", err)
	}
	return &netstatCollector{fs: fs, fields: re, descs: map[string]*prometheus.Desc{}}, nil
}

func (c *netstatCollector) Name() string   { return NetStat }
func (c *netstatCollector) Target() string { return "" }

func (c *netstatCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, file := range []string{"netstat", "snmp"} {
		if err := c.fs.read(c.fs.procPath("net", file), func(b []byte) error { return c.pairs(b, ch) }); err != nil {
			return err
		}
	}
	// No IPv6 in this kernel or namespace: no snmp6, which is no error.
	err := c.fs.read(c.fs.procPath("net", "snmp6"), func(b []byte) error { return c.snmp6(b, ch) })
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// pairs parses the netstat/snmp layout: a line of field names, then a line
// of their values, each starting with "Protocol:".
func (c *netstatCollector) pairs(b []byte, ch chan<- prometheus.Metric) error {
	for len(b) > 0 {
		var header, values []byte
		header, b = nextLine(b)
		if len(header) == 0 {
			continue
		}
		values, b = nextLine(b)
		c.names = appendFields(c.names, header)
		c.vals = appendFields(c.vals, values)
		proto := bytes.TrimSuffix(c.names[0], []byte(":"))
		if len(c.names) != len(c.vals) || !bytes.Equal(c.vals[0], c.names[0]) {
			return fmt.Errorf("%s: %d field names but %d values", proto, len(c.names)-1, len(c.vals)-1)
		}
		for i := 1; i < len(c.names); i++ {
			if err := c.emit(ch, proto, c.names[i], c.vals[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// snmp6 parses "Ip6InReceives   42" lines: the protocol is the name up to
// and including its first "6".
func (c *netstatCollector) snmp6(b []byte, ch chan<- prometheus.Metric) error {
	return eachLine(b, func(line []byte) error {
		c.names = appendFields(c.names, line)
		if len(c.names) < 2 {
			return nil
		}
		i := bytes.IndexByte(c.names[0], '6')
		if i < 0 {
			return nil
		}
		return c.emit(ch, c.names[0][:i+1], c.names[0][i+1:], c.names[1])
	})
}

func (c *netstatCollector) emit(ch chan<- prometheus.Metric, proto, name, value []byte) error {
	c.key = append(append(append(c.key[:0], proto...), '_'), name...)
	d, ok := c.descs[string(c.key)]
	if !ok {
		key := string(c.key)
		if c.fields == nil || c.fields.MatchString(key) {
			d = desc("node_netstat_"+key, "Statistic "+string(proto)+string(name)+".")
		}
		if len(c.descs) < 4096 {
			c.descs[key] = d
		}
	}
	if d == nil {
		return nil
	}
	v, err := parseFloat(value)
	if err != nil {
		return fmt.Errorf("%s %q: %w", c.key, value, err)
	}
	ch <- prometheus.MustNewConstMetric(d, prometheus.UntypedValue, v)
	return nil
}

// nextLine splits off b's first line.
func nextLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}
