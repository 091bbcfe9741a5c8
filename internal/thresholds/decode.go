package thresholds

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/golive-ops/golive/internal/yamlx"
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

// Parse decodes a thresholds file over Default() with golive's strict
// decoder (internal/yamlx) and validates the result; every error reads
// "line N: path: problem".
func Parse(data []byte) (*Thresholds, error) {
	doc, err := yamlx.Parse(data)
	if err != nil {
		return nil, err
	}
	t := Default()
	if err := doc.Decode(t); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, doc.Locate(err)
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
