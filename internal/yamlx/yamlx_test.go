package yamlx

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// section is what a package owning a config section writes: defaults, a
// strict decode, then its own validation with path-led errors.
type section struct {
	Port    int            `yaml:"port"`
	Enabled bool           `yaml:"enabled"`
	Every   time.Duration  `yaml:"every"`
	Window  model.Duration `yaml:"window"`
	Pattern string         `yaml:"pattern"`
	Items   []item         `yaml:"items"`
}

func (s *section) UnmarshalYAML(value *yaml.Node) error {
	*s = section{Port: 80}
	type plain section
	if err := DecodeStrict(value, (*plain)(s)); err != nil {
		return err
	}
	if s.Port > 65535 {
		return fmt.Errorf("port: %d is not a port", s.Port)
	}
	if s.Pattern == "(" {
		return errors.New("pattern: invalid regular expression")
	}
	if s.Pattern == "located" {
		return fmt.Errorf("line %d: pattern: located by the section", value.Line+2)
	}
	if s.Pattern == "self" {
		return errors.New("section.pattern: named with the section's own key")
	}
	return nil
}

type item struct {
	Name string `yaml:"name"`
}

// UnmarshalYAML is the yaml.v2 form (prometheus/common's types use it).
func (i *item) UnmarshalYAML(unmarshal func(any) error) error {
	type plain item
	if err := unmarshal((*plain)(i)); err != nil {
		return err
	}
	if i.Name == "" {
		return errors.New("name: is required")
	}
	return nil
}

type file struct {
	Title    string             `yaml:"title"`
	Section  section            `yaml:"section"`
	Sections []section          `yaml:"sections"`
	Named    map[string]section `yaml:"named"`
	Ptr      *section           `yaml:"ptr"`
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		// unknown keys, at any depth, through both unmarshaler forms
		{"titel: a\n", "line 1: titel: unknown field (did you mean title?)"},
		{"section:\n  port: 1\n  prot: 2\n", "line 3: section.prot: unknown field (did you mean port?)"},
		{"sections:\n  - port: 1\n  - items:\n      - name: a\n        nmae: b\n", "line 5: sections[1].items[0].nmae: unknown field (did you mean name?)"},
		{"named:\n  a:\n    zzz: 1\n", "line 3: named.a.zzz: unknown field"},
		// duplicate keys, at the top and inside sections
		{"title: a\nsection: {}\ntitle: b\n", "line 3: title: is defined twice (first at line 1)"},
		{"section:\n  port: 1\n  port: 2\n", "line 3: section.port: is defined twice (first at line 2)"},
		{"named:\n  a: {}\n  a: {}\n", "line 3: named.a: is defined twice (first at line 2)"},
		// types, named by field
		{"section:\n  enabled: maybe\n", `line 2: section.enabled: "maybe" is not a boolean`},
		{"section:\n  port: eighty\n", `line 2: section.port: "eighty" is not an integer`},
		{"section:\n  port: [1]\n", "line 2: section.port: must be an integer, not a list"},
		{"section: 5\n", "line 1: section: must be a mapping of keys to values, not a single value"},
		{"sections: {a: 1}\n", "line 1: sections: must be a list, not a mapping"},
		{"title: [a]\n", "line 1: title: must be a string, not a list"},
		{"section:\n  port: 99999999999999999999\n", `line 2: section.port: "99999999999999999999" is not an integer`},
		// durations: Prometheus's syntax for time.Duration and model.Duration alike
		{"section:\n  every: 15x\n", `line 2: section.every: "15x" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w`},
		{"section:\n  window: 1.5s\n", `line 2: section.window: "1.5s" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w`},
		{"section:\n  every: [1d]\n", "line 2: section.every: must be a duration such as 30s, 5m, 1h or 1d, not a list"},
		// a section's own checks, at the line of the field they name
		{"section:\n  enabled: true\n  port: 70000\n", "line 3: section.port: 70000 is not a port"},
		{"sections:\n  - port: 1\n  - pattern: x\n    port: 1\n  - port: 2\n    pattern: (\n", "line 6: sections[2].pattern: invalid regular expression"},
		{"ptr:\n  items:\n    - {}\n", "line 3: ptr.items[0].name: is required"},
		{"section:\n  port: 1\n  pattern: self\n", "line 3: section.pattern: named with the section's own key"},
		{"section:\n  port: 1\n  pattern: located\n", "line 4: section.pattern: located by the section"},
		{"ptr:\n  items:\n    -\n", "line 3: ptr.items[0].name: is required"},
		// documents
		{"title: a\n---\ntitle: b\n", "line 2: a second YAML document starts here: a config file holds exactly one"},
		{"title: a\n---\n", "a second YAML document starts here"},
		{"title: a\n title: b\n", "line 2: invalid YAML: mapping values are not allowed in this context"},
		// a value that is not a secret is quoted; one that may be is not
		{"section:\n  every: hunter2hunter2hunter2\n", "line 2: section.every: the value is not a duration"},
	}
	for _, c := range cases {
		var f file
		err := Unmarshal([]byte(c.in), &f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %q", c.in, err, c.want)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("%q: error %T is not an *Error", c.in, err)
		}
	}
}

func TestDecodeValues(t *testing.T) {
	in := `
title: t
defaults: &d
  port: 81
  every: 1d
section:
  <<: *d
  port: 82
sections:
  - *d
  -
named:
  x: {window: 2w}
ptr: {}
`
	type withDefaults struct {
		file     `yaml:",inline"`
		Defaults section `yaml:"defaults"`
	}
	var f withDefaults
	if err := Unmarshal([]byte(in), &f); err != nil {
		t.Fatal(err)
	}
	if f.Section.Port != 82 || f.Section.Every != 24*time.Hour {
		t.Errorf("merge: section = %+v, want port 82 (own key wins) and every 24h (merged)", f.Section)
	}
	if len(f.Sections) != 2 || f.Sections[0].Port != 81 || f.Sections[1].Port != 80 {
		t.Errorf("sections = %+v, want an alias (port 81) and an empty entry with its defaults (port 80)", f.Sections)
	}
	if w := f.Named["x"].Window; w != model.Duration(14*24*time.Hour) {
		t.Errorf("named.x.window = %v, want 2w", w)
	}
	if f.Ptr == nil || f.Ptr.Port != 80 {
		t.Errorf("ptr = %+v, want the section's defaults", f.Ptr)
	}
}

func TestEmptyDocumentKeepsDefaults(t *testing.T) {
	for _, in := range []string{"", "\n", "# only a comment\n", "---\n", "~\n"} {
		f := file{Title: "default"}
		if err := Unmarshal([]byte(in), &f); err != nil || f.Title != "default" {
			t.Errorf("%q: err %v, title %q", in, err, f.Title)
		}
	}
}

func TestLimits(t *testing.T) {
	huge := "title: " + strings.Repeat("a", 1<<20) + "\n"
	if err := Unmarshal([]byte(huge), &file{}); err == nil || err.Error() != "line 1: title: the value is 1048576 bytes long, more than the 65536 allowed" {
		t.Errorf("1 MB value: %v", err)
	}
	hugeKey := "? " + strings.Repeat("k", 1<<17) + "\n: 1\n"
	if err := Unmarshal([]byte(hugeKey), &file{}); err == nil || !strings.Contains(err.Error(), "a key is 131072 bytes long") {
		t.Errorf("128 KB key: %v", err)
	}
	big := make([]byte, DefaultLimits.MaxBytes+1)
	if err := Unmarshal(big, &file{}); err == nil || !strings.Contains(err.Error(), "the file is") {
		t.Errorf("oversized file: %v", err)
	}
	// Each level doubles the items: 2^30 sections if expanded.
	var b strings.Builder
	b.WriteString("a0: &a0 [{port: 1}, {port: 1}]\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d]\n", i, i, i-1, i-1)
	}
	b.WriteString("sections: *a30\n")
	type bomb struct {
		file `yaml:",inline"`
		A    map[string]any `yaml:",inline"`
	}
	start := time.Now()
	err := Unmarshal([]byte(b.String()), &bomb{})
	if err == nil {
		t.Fatal("alias bomb accepted")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("alias bomb took %v", time.Since(start))
	}
}

func TestDocumentLocate(t *testing.T) {
	src := "title: t\nsection:\n  port: 1\nsections:\n  - port: 2\n  - port: 3\n"
	doc, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var f file
	if err := doc.Decode(&f); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"sections[1].port: clashes with section.port": "line 6: sections[1].port: clashes with section.port",
		"section.enabled: must be set":                "line 2: section.enabled: must be set", // the closest node in the file
		"other.thing: is wrong":                       "other.thing: is wrong",                // not in the file: a default
		"no path here":                                "no path here",
	} {
		if got := doc.Locate(errors.New(in)).Error(); got != want {
			t.Errorf("Locate(%q) = %q, want %q", in, got, want)
		}
	}
	if l := doc.Line("sections[1]"); l != 6 {
		t.Errorf("Line(sections[1]) = %d, want 6", l)
	}
}

// FuzzUnmarshal: any input is decoded or refused with an *Error, never a
// panic (go test -fuzz=FuzzUnmarshal ./internal/yamlx/).
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		"title: a\nsection: {port: 1, every: 1d}\n",
		"sections: [{items: [{name: a}]}, ~]\n",
		"a: &a [*a]\n",
		"section: &s {port: 1}\nptr: *s\nnamed: {x: *s}\n",
		"section:\n  <<: [{port: 1}, {every: 1w}]\n",
		"title: a\n---\ntitle: b\n",
		"named: {a: {}, a: {}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out file
		err := Unmarshal(data, &out)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T (%v) is not an *Error", err, err)
			}
		}
	})
}
