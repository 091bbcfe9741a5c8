package thresholds

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads, decodes and validates a thresholds file.
func Load(path string) (*Thresholds, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read thresholds: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse decodes a thresholds file over Default() and validates the result.
// Keys are strict: an unknown or repeated key is an error naming its path.
func Parse(data []byte) (*Thresholds, error) {
	t := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	if len(doc.Content) > 0 {
		if err := decodeValue(doc.Content[0], reflect.ValueOf(t).Elem(), ""); err != nil {
			return nil, err
		}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// field is a YAML key of a struct, with the index path to reach it through
// inlined structs.
type field struct {
	index []int
	doc   string
}

// fieldsOf lists the YAML keys of struct type typ in declaration order.
func fieldsOf(typ reflect.Type) ([]string, map[string]field) {
	var names []string
	byName := map[string]field{}
	for i := 0; i < typ.NumField(); i++ {
		sf := typ.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if opts == "inline" {
			inner, innerFields := fieldsOf(sf.Type)
			for _, n := range inner {
				f := innerFields[n]
				f.index = append([]int{i}, f.index...)
				byName[n] = f
			}
			names = append(names, inner...)
			continue
		}
		names = append(names, name)
		byName[name] = field{index: []int{i}, doc: sf.Tag.Get("doc")}
	}
	return names, byName
}

func isSection(typ reflect.Type) bool {
	return typ.Kind() == reflect.Struct
}

func decodeValue(n *yaml.Node, v reflect.Value, path string) error {
	if !isSection(v.Type()) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return fmt.Errorf("%s: line %d: %s", path, n.Line, yamlMessage(err))
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: line %d: want a mapping of keys", displayPath(path), n.Line)
	}
	names, fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		p := join(path, key.Value)
		f, ok := fields[key.Value]
		if !ok {
			known := append([]string(nil), names...)
			sort.Strings(known)
			return fmt.Errorf("%s: line %d: unknown key (known keys here: %s)", p, key.Line, strings.Join(known, ", "))
		}
		if seen[key.Value] {
			return fmt.Errorf("%s: line %d: key repeated", p, key.Line)
		}
		seen[key.Value] = true
		if err := decodeValue(value, v.FieldByIndex(f.index), p); err != nil {
			return err
		}
	}
	return nil
}

// yamlMessage strips yaml.v3's "yaml: unmarshal errors:" framing so the
// message reads after the field path.
func yamlMessage(err error) string {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for i, m := range msgs {
		msgs[i] = lineNumber.ReplaceAllString(strings.TrimPrefix(m, "yaml: "), "")
	}
	return strings.Join(msgs, "; ")
}

// lineNumber matches the position yaml.v3 puts in front of its messages; the
// decoder states the line itself.
var lineNumber = regexp.MustCompile(`^line \d+: `)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func displayPath(path string) string {
	if path == "" {
		return "thresholds file"
	}
	return path
}
