package readiness

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	exporterconfig "github.com/golive-ops/golive/exporter/config"
	"github.com/golive-ops/golive/exporter/prober"
	"github.com/golive-ops/golive/internal/probemodule"
	"github.com/golive-ops/golive/internal/yamlx"
)

// Categories are the runbook's (DESIGN R1.1, R1.2), in the order the text
// output groups them; a checklist may add its own after these.
var Categories = []string{"infrastructure", "application", "monitoring", "backups", "business"}

// Defaults for items that do not say.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultCertWarning = 30 * 24 * time.Hour
)

// Checklist is a parsed and checked checklist file.
type Checklist struct {
	// ExporterConfig is an exporter config file whose modules and servers
	// (postgres, redis, backups, services) items may name, so readiness
	// probes exactly what the exporter does. Relative to the checklist.
	ExporterConfig string    `yaml:"exporter_config,omitempty"`
	Receiver       *Endpoint `yaml:"receiver,omitempty"`
	Prometheus     *Endpoint `yaml:"prometheus,omitempty"`
	Alertmanager   *Endpoint `yaml:"alertmanager,omitempty"`
	Grafana        *Endpoint `yaml:"grafana,omitempty"`
	Defaults       Defaults  `yaml:"defaults,omitempty"`
	// Modules adds prober modules (the exporter's syntax) to the exporter
	// config's.
	Modules probemodule.Set `yaml:"-"`
	Items   []Item          `yaml:"-"`

	path     string
	exporter *exporterconfig.Config
	order    []string // categories, in output order
}

// Endpoint is a server the monitoring-stack items ask.
type Endpoint struct {
	URL        string                     `yaml:"url"`
	HTTPConfig commoncfg.HTTPClientConfig `yaml:"http_config,omitempty"`
}

// Defaults apply to every item that does not set its own.
type Defaults struct {
	Timeout model.Duration `yaml:"timeout,omitempty"`
	// CertWarning: a certificate expiring sooner than this warns.
	CertWarning model.Duration `yaml:"cert_warning,omitempty"`
}

// Item is one checklist entry: the common fields and one kind's section.
type Item struct {
	Name        string
	Category    string
	Description string
	Required    bool
	Timeout     time.Duration
	Kind        string
	Line        int
	check       check
}

// Error is a checklist error located in the file: "line N: path: problem".
type Error struct {
	Line int
	Path string
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Path != "":
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Path, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	default:
		return e.Msg
	}
}

var lineMsg = regexp.MustCompile(`^line (\d+): (.*)$`)

// locate turns a decode error into an *Error under path. An *Error from
// deeper down keeps its line and gets path in front of its own; any other
// error keeps the line the decoder found in it, else the node's.
func locate(node *yaml.Node, path string, err error) error {
	if e, ok := errors.AsType[*Error](err); ok {
		out := *e
		switch {
		case out.Path == "":
			out.Path = path
		case path != "":
			out.Path = path + "." + out.Path
		}
		if out.Line == 0 {
			out.Line = node.Line
		}
		return &out
	}
	msg := err.Error()
	if te, ok := errors.AsType[*yaml.TypeError](err); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := lineMsg.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Line: line, Path: path, Msg: m[2]}
	}
	return &Error{Line: node.Line, Path: path, Msg: msg}
}

// Load reads and checks the checklist at path, and the exporter config it
// names.
func Load(path string) (*Checklist, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading checklist: %w", err)
	}
	c, err := Parse(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.path = path
	return c, nil
}

// topKeys are the checklist's top-level keys.
var topKeys = []string{"exporter_config", "receiver", "prometheus", "alertmanager", "grafana", "defaults", "modules", "items"}

// Parse decodes and checks a checklist; dir resolves relative paths.
func Parse(data []byte, dir string) (*Checklist, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, &Error{Msg: "the checklist is empty: it needs items"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Line: root.Line, Msg: "the checklist must be a mapping (exporter_config, prometheus, items, ...)"}
	}
	c := &Checklist{Defaults: Defaults{Timeout: model.Duration(DefaultTimeout), CertWarning: model.Duration(DefaultCertWarning)}}
	var itemsNode, modulesNode *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return nil, &Error{Line: k.Line, Path: k.Value, Msg: "is set twice"}
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "exporter_config":
			err = yamlx.DecodeStrict(v, &c.ExporterConfig)
		case "receiver":
			err = decodeEndpoint(v, &c.Receiver)
		case "prometheus":
			err = decodeEndpoint(v, &c.Prometheus)
		case "alertmanager":
			err = decodeEndpoint(v, &c.Alertmanager)
		case "grafana":
			err = decodeEndpoint(v, &c.Grafana)
		case "defaults":
			err = yamlx.DecodeStrict(v, &c.Defaults)
		case "modules":
			modulesNode = v
		case "items":
			itemsNode = v
		default:
			return nil, &Error{Line: k.Line, Msg: fmt.Sprintf("unknown field %q (want one of %s)", k.Value, strings.Join(topKeys, ", "))}
		}
		if err != nil {
			return nil, locate(v, k.Value, err)
		}
	}
	if c.Defaults.Timeout <= 0 {
		return nil, &Error{Line: keyLine(root, "defaults"), Path: "defaults.timeout", Msg: "must be positive"}
	}
	if c.ExporterConfig != "" {
		p := c.ExporterConfig
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		ec, err := exporterconfig.Load(p)
		if err != nil {
			return nil, &Error{Line: keyLine(root, "exporter_config"), Path: "exporter_config", Msg: err.Error()}
		}
		c.exporter = ec
	} else {
		c.exporter = &exporterconfig.Config{}
	}
	if err := c.decodeModules(modulesNode); err != nil {
		return nil, err
	}
	if itemsNode == nil || len(itemsNode.Content) == 0 {
		return nil, &Error{Line: root.Line, Path: "items", Msg: "must list at least one item"}
	}
	if err := c.decodeItems(itemsNode, dir); err != nil {
		return nil, err
	}
	return c, nil
}

func decodeEndpoint(v *yaml.Node, out **Endpoint) error {
	e := &Endpoint{HTTPConfig: commoncfg.DefaultHTTPClientConfig}
	if err := yamlx.DecodeStrict(v, e); err != nil {
		return err
	}
	if e.URL == "" {
		return &Error{Line: v.Line, Path: "url", Msg: "must be set"}
	}
	u, err := parseHTTPURL(e.URL)
	if err != nil {
		return &Error{Line: keyLine(v, "url"), Path: "url", Msg: err.Error()}
	}
	e.URL = u
	if err := e.HTTPConfig.Validate(); err != nil {
		return &Error{Line: keyLine(v, "http_config"), Path: "http_config", Msg: err.Error()}
	}
	*out = e
	return nil
}

// decodeModules merges the checklist's modules into the exporter config's;
// a name in both is an error, not a silent override.
func (c *Checklist) decodeModules(node *yaml.Node) error {
	c.Modules = probemodule.Set{}
	maps.Copy(c.Modules, c.exporter.Modules)
	if node == nil || (node.Kind == yaml.ScalarNode && node.Tag == "!!null") {
		return nil
	}
	if node.Kind != yaml.MappingNode {
		return &Error{Line: node.Line, Path: "modules", Msg: "must be a mapping of module names to modules"}
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		path := "modules." + k.Value
		var m prober.Module
		if err := yamlx.DecodeStrict(v, &m); err != nil {
			return locate(v, path, err)
		}
		if err := m.Validate(); err != nil {
			return locate(v, path, err)
		}
		if err := c.Modules.Add(k.Value, m); err != nil {
			return &Error{Line: k.Line, Path: path, Msg: err.Error()}
		}
	}
	return nil
}

// itemKeys are the fields every item may have besides its kind's section.
var itemKeys = []string{"name", "category", "description", "required", "timeout"}

func (c *Checklist) decodeItems(node *yaml.Node, dir string) error {
	if node.Kind != yaml.SequenceNode {
		return &Error{Line: node.Line, Path: "items", Msg: "must be a list"}
	}
	names := map[string]int{}
	for i, n := range node.Content {
		path := fmt.Sprintf("items[%d]", i)
		it, err := c.decodeItem(n, path, dir)
		if err != nil {
			return err
		}
		if prev, dup := names[it.Name]; dup {
			return &Error{Line: it.Line, Path: path + ".name", Msg: fmt.Sprintf("%q is also the name of items[%d]", it.Name, prev)}
		}
		names[it.Name] = i
		c.Items = append(c.Items, it)
		if !slices.Contains(c.order, it.Category) {
			c.order = append(c.order, it.Category)
		}
	}
	slices.SortStableFunc(c.order, func(a, b string) int { return catRank(a) - catRank(b) })
	return nil
}

func catRank(c string) int {
	if i := slices.Index(Categories, c); i >= 0 {
		return i
	}
	return len(Categories)
}

var itemName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$`)

func (c *Checklist) decodeItem(n *yaml.Node, path, dir string) (Item, error) {
	it := Item{Required: true, Timeout: time.Duration(c.Defaults.Timeout), Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return it, &Error{Line: n.Line, Path: path, Msg: "must be a mapping with a name and one kind (" + strings.Join(KindNames(), ", ") + ")"}
	}
	var kindNode *yaml.Node
	var kindLine int
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := path + "." + k.Value
		var err error
		switch k.Value {
		case "name":
			err = yamlx.DecodeStrict(v, &it.Name)
		case "category":
			err = yamlx.DecodeStrict(v, &it.Category)
		case "description":
			err = yamlx.DecodeStrict(v, &it.Description)
		case "required":
			err = yamlx.DecodeStrict(v, &it.Required)
		case "timeout":
			var d model.Duration
			if err = yamlx.DecodeStrict(v, &d); err == nil {
				if d <= 0 {
					return it, &Error{Line: v.Line, Path: field, Msg: "must be positive"}
				}
				it.Timeout = time.Duration(d)
			}
		default:
			if _, ok := kinds[k.Value]; !ok {
				return it, &Error{Line: k.Line, Path: path, Msg: fmt.Sprintf("unknown field %q (an item has %s and one kind: %s)",
					k.Value, strings.Join(itemKeys, ", "), strings.Join(KindNames(), ", "))}
			}
			if kindNode != nil {
				return it, &Error{Line: k.Line, Path: field, Msg: fmt.Sprintf("an item has one kind, and this one is already %s (line %d)", it.Kind, kindLine)}
			}
			it.Kind, kindNode, kindLine = k.Value, v, k.Line
		}
		if err != nil {
			return it, locate(v, field, err)
		}
	}
	switch {
	case it.Name == "":
		return it, &Error{Line: n.Line, Path: path + ".name", Msg: "must be set"}
	case !itemName.MatchString(it.Name):
		return it, &Error{Line: keyLine(n, "name"), Path: path + ".name", Msg: fmt.Sprintf("%q: use letters, digits and _.:- (it is a metric label and a command argument)", it.Name)}
	case kindNode == nil:
		return it, &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("item %q has no kind: give one of %s", it.Name, strings.Join(KindNames(), ", "))}
	}
	k := kinds[it.Kind]
	if it.Category == "" {
		it.Category = k.category
	}
	chk, err := k.build(kindNode, &buildContext{checklist: c, dir: dir, item: &it})
	if err != nil {
		return it, locate(kindNode, path+"."+it.Kind, err)
	}
	it.check = chk
	return it, nil
}

// keyLine is the line of key in mapping, or the mapping's own line.
func keyLine(mapping *yaml.Node, key string) int {
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i].Line
		}
	}
	return mapping.Line
}

// fieldError is a problem with one field of a kind's section, located at
// that field's line.
func fieldError(section *yaml.Node, field, format string, args ...any) error {
	return &Error{Line: keyLine(section, strings.SplitN(field, "[", 2)[0]), Path: field, Msg: fmt.Sprintf(format, args...)}
}

// Manual lists the manual items (for `golive readiness sign`).
func (c *Checklist) Manual() []Item {
	var out []Item
	for _, it := range c.Items {
		if it.Kind == "manual" {
			out = append(out, it)
		}
	}
	return out
}

// Item returns the named item.
func (c *Checklist) Item(name string) (Item, bool) {
	for _, it := range c.Items {
		if it.Name == name {
			return it, true
		}
	}
	return Item{}, false
}
