package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml.v3 drops KnownFields(true) as soon as a type has its own
// UnmarshalYAML (Node.Decode starts a fresh, lenient decoder), and every
// section has one. So unknown keys are found here instead, by walking the
// document against the Go types: each section's Config must have a field,
// with that yaml tag, for every key it accepts.

var typeOfConfig = reflect.TypeFor[Config]()

// maxDepth bounds the walk; real configs are a handful of levels deep.
const maxDepth = 64

func checkKnownFields(node *yaml.Node, t reflect.Type, path string) error {
	return walk(node, t, path, 0)
}

func walk(node *yaml.Node, t reflect.Type, path string, depth int) error {
	if node == nil || depth > maxDepth {
		return nil
	}
	// Aliases are checked where their anchor is defined; following them here
	// would let a "billion laughs" document blow up the walk.
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && node.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		if fields == nil {
			return nil // an inline map takes any key
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if k.Tag == "!!merge" {
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				return &Error{Line: k.Line, Path: orRoot(path), Msg: fmt.Sprintf("unknown field %q", k.Value)}
			}
			if err := walk(v, ft, join(path, k.Value), depth+1); err != nil {
				return err
			}
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && node.Kind == yaml.SequenceNode:
		for i, item := range node.Content {
			if err := walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map && node.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			if err := walk(node.Content[i+1], t.Elem(), join(path, node.Content[i].Value), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps the keys a struct accepts to their types, following
// ",inline" fields as yaml.v3 does. It returns nil when an inline map makes
// any key acceptable.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Map {
				return nil
			}
			inner := yamlFields(ft)
			if inner == nil {
				return nil
			}
			for k, v := range inner {
				fields[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // yaml.v3's default key
		}
		fields[name] = f.Type
	}
	return fields
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "config"
	}
	return path
}
