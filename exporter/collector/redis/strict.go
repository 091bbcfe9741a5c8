package redis

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeStrict decodes node into out after checking that every mapping key
// names a field. yaml.v3 does not carry the decoder's KnownFields(true) into
// a custom UnmarshalYAML, so a typo like `pasword:` would otherwise be
// silently dropped.
func decodeStrict(node *yaml.Node, out any) error {
	if err := checkKnownFields(node, reflect.TypeOf(out)); err != nil {
		return err
	}
	return node.Decode(out)
}

var v3Unmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

func checkKnownFields(node *yaml.Node, t reflect.Type) error {
	for node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case node.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for _, item := range node.Content {
			if err := checkNested(item, t.Elem()); err != nil {
				return err
			}
		}
		return nil
	case node.Kind != yaml.MappingNode || t.Kind() != reflect.Struct:
		return nil // a wrong shape is reported by Decode itself
	}
	fields := yamlFields(t)
	for i := 0; i+1 < len(node.Content); i += 2 {
		key := node.Content[i]
		ft, ok := fields[key.Value]
		if !ok {
			return fmt.Errorf("line %d: unknown field %q", key.Line, key.Value)
		}
		if err := checkNested(node.Content[i+1], ft); err != nil {
			return err
		}
	}
	return nil
}

// checkNested recurses unless the type checks its own fields.
func checkNested(node *yaml.Node, t reflect.Type) error {
	if reflect.PointerTo(t).Implements(v3Unmarshaler) || t.Implements(v3Unmarshaler) {
		return nil
	}
	return checkKnownFields(node, t)
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				fields[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}
