package host

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// memField is one /proc/meminfo line as node_exporter names it: the key with
// "(x)" turned into "_x" and, for lines in kB, the value in bytes and the name
// suffixed with "_bytes" (HugePages_Total has no unit and no suffix).
type memField struct {
	name  string
	value float64
}

// parseMeminfo exports every field, as node_exporter did up to 1.5; newer
// releases hard-code a list, which this is a superset of.
func parseMeminfo(b []byte, names *nameCache) ([]memField, error) {
	var out []memField
	var fields [][]byte
	err := eachLine(b, func(line []byte) error {
		fields = appendFields(fields, line)
		if len(fields) < 2 || len(fields) > 3 || !bytes.HasSuffix(fields[0], []byte(":")) {
			return fmt.Errorf("invalid line %q", line)
		}
		v, err := parseUint(fields[1])
		if err != nil {
			return fmt.Errorf("%s %q: %w", fields[0], fields[1], err)
		}
		key := fields[0][:len(fields[0])-1]
		value, inKB := float64(v), len(fields) == 3
		if inKB {
			if string(fields[2]) != "kB" {
				return fmt.Errorf("%s: unknown unit %q", key, fields[2])
			}
			value *= 1024
		}
		out = append(out, memField{name: names.get(key, inKB), value: value})
		return nil
	})
	return out, err
}

// nameCache maps raw meminfo keys to metric-name fragments, so each scrape
// does not rebuild the same 50 strings.
type nameCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (n *nameCache) get(key []byte, inKB bool) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if name, ok := n.m[string(key)]; ok {
		return name
	}
	name := memName(string(key), inKB)
	if n.m == nil {
		n.m = map[string]string{}
	}
	n.m[string(key)] = name
	return name
}

func memName(key string, inKB bool) string {
	// Active(anon) -> Active_anon
	if i := strings.IndexByte(key, '('); i >= 0 && key[len(key)-1] == ')' {
		key = key[:i] + "_" + key[i+1:len(key)-1]
	}
	if inKB {
		key += "_bytes"
	}
	return key
}

type meminfoCollector struct {
	fs    hostFS
	names nameCache

	mu    sync.Mutex
	descs map[string]*prometheus.Desc
}

func newMeminfoCollector(fs hostFS) *meminfoCollector {
	return &meminfoCollector{fs: fs, descs: map[string]*prometheus.Desc{}}
}

func (c *meminfoCollector) Name() string   { return Meminfo }
func (c *meminfoCollector) Target() string { return "" }

func (c *meminfoCollector) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	var fields []memField
	err := c.fs.read(c.fs.procPath("meminfo"), func(b []byte) (err error) {
		fields, err = parseMeminfo(b, &c.names)
		return err
	})
	if err != nil {
		return err
	}
	for _, f := range fields {
		ch <- prometheus.MustNewConstMetric(c.desc(f.name), prometheus.GaugeValue, f.value)
	}
	return nil
}

func (c *meminfoCollector) desc(name string) *prometheus.Desc {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.descs[name]
	if !ok {
		d = desc("node_memory_"+name, "Memory information field "+name+".")
		c.descs[name] = d
	}
	return d
}
