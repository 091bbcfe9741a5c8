package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/golive-ops/golive/exporter/prober"
	"github.com/golive-ops/golive/internal/yamlx"
)

// crossCheck validates what no single section can: unique names within each
// list, and references between sections. root locates the errors.
func (c *Config) crossCheck(doc *yamlx.Document) error {
	for _, list := range []struct {
		key   string
		names []string
	}{
		{"backups", names(c.Backups, func(i int) string { return c.Backups[i].Name })},
		{"postgres", names(c.Postgres, func(i int) string { return c.Postgres[i].Name })},
		{"redis", names(c.Redis, func(i int) string { return c.Redis[i].Name })},
		{"sql_checks", names(c.SQLChecks, func(i int) string { return c.SQLChecks[i].Name })},
	} {
		if err := unique(doc, list.key, list.names); err != nil {
			return err
		}
	}
	pg := names(c.Postgres, func(i int) string { return c.Postgres[i].Name })
	for i, s := range c.SQLChecks {
		if !slices.Contains(pg, s.Postgres) {
			return &Error{
				Line: doc.Line(fmt.Sprintf("sql_checks[%d].postgres", i)),
				Path: fmt.Sprintf("sql_checks[%d].postgres", i),
				Msg:  fmt.Sprintf("%q is not the name of a postgres entry (have: %s)", s.Postgres, have(pg)),
			}
		}
	}
	if err := checkModuleNames(doc, c.Modules); err != nil {
		return err
	}
	return c.checkProbes(doc)
}

func (c *Config) checkProbes(doc *yamlx.Document) error {
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
				Line: doc.Line(fmt.Sprintf("probes[%d].module", i)),
				Path: fmt.Sprintf("probes[%d].module", i),
				Msg:  fmt.Sprintf("%q is not defined in modules (have: %s)", p.Module, have(modules)),
			}
		}
		for _, t := range p.Targets {
			k := probeKey{p.Module, t}
			if j, dup := seen[k]; dup {
				return &Error{
					Line: doc.Line(fmt.Sprintf("probes[%d].targets", i)),
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

// MaxNameLen bounds entry and module names: they become label values on
// every series of the entry.
const MaxNameLen = 128

func unique(doc *yamlx.Document, key string, names []string) error {
	first := make(map[string]int, len(names))
	for i, n := range names {
		if len(n) > MaxNameLen {
			return &Error{
				Line: doc.Line(fmt.Sprintf("%s[%d].name", key, i)),
				Path: fmt.Sprintf("%s[%d].name", key, i),
				Msg:  fmt.Sprintf("is %d bytes long; a name has at most %d", len(n), MaxNameLen),
			}
		}
		if j, dup := first[n]; dup {
			return &Error{
				Line: doc.Line(fmt.Sprintf("%s[%d].name", key, i)),
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

// checkModuleNames bounds module names, which label every probe series.
func checkModuleNames(doc *yamlx.Document, modules map[string]prober.Module) error {
	for name := range modules {
		switch {
		case name == "":
			return &Error{Line: doc.Line("modules"), Path: "modules", Msg: "a module name must not be empty"}
		case len(name) > MaxNameLen:
			return &Error{Line: doc.Line("modules"), Path: "modules", Msg: fmt.Sprintf("a module name is %d bytes long; a name has at most %d", len(name), MaxNameLen)}
		}
	}
	return nil
}
