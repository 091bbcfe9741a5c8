package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/golive-ops/golive/exporter/prober"
	"gopkg.in/yaml.v3"
)

// Error is a config error located in the file. Its message reads
// "line N: path: problem", path being the YAML path (postgres[1].dsn).
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

// Parse decodes and checks a config. Unknown keys are rejected anywhere in
// the tree, each section is decoded on its own so that its errors say where
// they are, then the cross-section references are checked.
func Parse(data []byte) (*Config, error) {
	cfg := &Config{Global: DefaultGlobal}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing YAML: %w", err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return cfg, nil // an empty file configures nothing but the defaults
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Line: root.Line, Msg: "the config must be a mapping of sections"}
	}
	if err := checkKnownFields(root, typeOfConfig, ""); err != nil {
		return nil, err
	}
	if err := decodeSections(root, cfg); err != nil {
		return nil, err
	}
	if err := cfg.crossCheck(root); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decodeSections decodes each top-level key into its field.
func decodeSections(root *yaml.Node, cfg *Config) error {
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i].Value, root.Content[i+1]
		var err error
		switch key {
		case "global":
			err = decodeOne(value, key, &cfg.Global)
		case "host":
			err = decodeOne(value, key, &cfg.Host)
		case "services":
			err = decodeOne(value, key, &cfg.Services)
		case "backups":
			cfg.Backups, err = decodeList(value, key, cfg.Backups)
		case "postgres":
			cfg.Postgres, err = decodeList(value, key, cfg.Postgres)
		case "redis":
			cfg.Redis, err = decodeList(value, key, cfg.Redis)
		case "sql_checks":
			cfg.SQLChecks, err = decodeList(value, key, cfg.SQLChecks)
		case "modules":
			cfg.Modules, err = decodeModules(value)
		case "probes":
			cfg.Probes, err = decodeList(value, key, cfg.Probes)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func decodeOne[T any](node *yaml.Node, path string, out *T) error {
	if err := node.Decode(out); err != nil {
		return locate(node, path, err)
	}
	return nil
}

// decodeList decodes a sequence item by item, so that an error names the
// item (postgres[1]) as well as its line.
func decodeList[T any](node *yaml.Node, path string, _ []T) ([]T, error) {
	node = resolve(node)
	if isNull(node) {
		return nil, nil
	}
	if node.Kind != yaml.SequenceNode {
		return nil, &Error{Line: node.Line, Path: path, Msg: "must be a list"}
	}
	out := make([]T, len(node.Content))
	for i, item := range node.Content {
		if isNull(resolve(item)) {
			// yaml.v3 skips UnmarshalYAML for a null node, which would leave
			// an entry without defaults or validation; decode it as {} so the
			// section reports what is missing.
			item = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: item.Line, Column: item.Column}
		}
		if err := decodeOne(item, fmt.Sprintf("%s[%d]", path, i), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeModules(node *yaml.Node) (map[string]prober.Module, error) {
	node = resolve(node)
	if isNull(node) {
		return nil, nil
	}
	if node.Kind != yaml.MappingNode {
		return nil, &Error{Line: node.Line, Path: "modules", Msg: "must be a mapping of module names to modules"}
	}
	out := make(map[string]prober.Module, len(node.Content)/2)
	for i := 0; i+1 < len(node.Content); i += 2 {
		name, value := node.Content[i].Value, node.Content[i+1]
		path := "modules." + name
		if name == "" {
			return nil, &Error{Line: node.Content[i].Line, Path: "modules", Msg: "a module name must not be empty"}
		}
		if _, dup := out[name]; dup {
			return nil, &Error{Line: node.Content[i].Line, Path: path, Msg: "is defined twice"}
		}
		var m prober.Module
		if err := decodeOne(value, path, &m); err != nil {
			return nil, err
		}
		if err := m.Validate(); err != nil {
			return nil, locate(value, path, err)
		}
		out[name] = m
	}
	return out, nil
}

// lineMsg matches a message that already starts with its line: yaml.v3's
// type errors ("line 3: cannot unmarshal ...") and the sections' own
// located errors.
var lineMsg = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)

// locate turns an error from decoding node into an *Error naming path and a
// line: the line the message already names, else node's.
func locate(node *yaml.Node, path string, err error) error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
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

// resolve follows aliases so that *anchor and &anchor behave alike.
func resolve(n *yaml.Node) *yaml.Node {
	for range 8 { // an alias points at an anchored node, never at an alias; bound it anyway
		if n == nil || n.Kind != yaml.AliasNode || n.Alias == nil {
			break
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}
