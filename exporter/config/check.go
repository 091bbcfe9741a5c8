package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// crossCheck validates what no single section can: unique names within each
// list, and references between sections. root locates the errors.
func (c *Config) crossCheck(root *yaml.Node) error {
	for _, list := range []struct {
		key   string
		names []string
	}{
		{"backups", names(c.Backups, func(i int) string { return c.Backups[i].Name })},
		{"postgres", names(c.Postgres, func(i int) string { return c.Postgres[i].Name })},
		{"redis", names(c.Redis, func(i int) string { return c.Redis[i].Name })},
		{"sql_checks", names(c.SQLChecks, func(i int) string { return c.SQLChecks[i].Name })},
	} {
		if err := unique(root, list.key, list.names); err != nil {
			return err
		}
	}
	pg := names(c.Postgres, func(i int) string { return c.Postgres[i].Name })
	for i, s := range c.SQLChecks {
		if !slices.Contains(pg, s.Postgres) {
			return &Error{
				Line: line(root, "sql_checks", i, "postgres"),
				Path: fmt.Sprintf("sql_checks[%d].postgres", i),
				Msg:  fmt.Sprintf("%q is not the name of a postgres entry (have: %s)", s.Postgres, have(pg)),
			}
		}
	}
	return c.checkProbes(root)
}

func (c *Config) checkProbes(root *yaml.Node) error {
	modules := make([]string, 0, len(c.Modules))
	for name := range c.Modules {
		modules = append(modules, name)
	}
	sort.Strings(modules)
	// Two entries probing one target with one module would emit the same
	// series twice and fail the whole scrape.
	type probeKey struct{ module, target string }
	seen := map[probeKey]int{}
	for i, p := range c.Probes {
		if _, ok := c.Modules[p.Module]; !ok {
			return &Error{
				Line: line(root, "probes", i, "module"),
				Path: fmt.Sprintf("probes[%d].module", i),
				Msg:  fmt.Sprintf("%q is not defined in modules (have: %s)", p.Module, have(modules)),
			}
		}
		for _, t := range p.Targets {
			k := probeKey{p.Module, t}
			if j, dup := seen[k]; dup {
				return &Error{
					Line: line(root, "probes", i, "targets"),
					Path: fmt.Sprintf("probes[%d].targets", i),
					Msg:  fmt.Sprintf("%q is already probed with module %q by probes[%d]", t, p.Module, j),
				}
			}
			seen[k] = i
		}
	}
	return nil
}

func names[T any](list []T, name func(int) string) []string {
	out := make([]string, len(list))
	for i := range list {
		out[i] = name(i)
	}
	return out
}

func unique(root *yaml.Node, key string, names []string) error {
	first := make(map[string]int, len(names))
	for i, n := range names {
		if j, dup := first[n]; dup {
			return &Error{
				Line: line(root, key, i, "name"),
				Path: fmt.Sprintf("%s[%d].name", key, i),
				Msg:  fmt.Sprintf("%q is already used by %s[%d]", n, key, j),
			}
		}
		first[n] = i
	}
	return nil
}

func have(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// line finds root[key][index][field]'s line, falling back to the closest
// node found, so an error always points somewhere useful.
func line(root *yaml.Node, key string, index int, field string) int {
	n := lookup(root, key)
	if n == nil {
		return root.Line
	}
	n = resolve(n)
	if n.Kind != yaml.SequenceNode || index >= len(n.Content) {
		return n.Line
	}
	item := resolve(n.Content[index])
	if v := lookup(item, field); v != nil {
		return v.Line
	}
	return item.Line
}

func lookup(mapping *yaml.Node, key string) *yaml.Node {
	if mapping == nil || mapping.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i+1]
		}
	}
	return nil
}
