package yamlx

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type inner struct {
	Port int `yaml:"port"`
}

func (i *inner) UnmarshalYAML(value *yaml.Node) error {
	type plain inner
	return DecodeStrict(value, (*plain)(i))
}

type outer struct {
	Name  string  `yaml:"name"`
	Inner inner   `yaml:"inner"`
	List  []inner `yaml:"list"`
}

func (o *outer) UnmarshalYAML(value *yaml.Node) error {
	type plain outer
	return DecodeStrict(value, (*plain)(o))
}

func TestStrictRejectsUnknownFieldsInNestedUnmarshalers(t *testing.T) {
	cases := []struct{ in, want string }{
		{"name: a\ninner:\n  port: 1\n  prot: 2\n", `line 4: unknown field "prot"`},
		{"name: a\nlist:\n  - port: 1\n  - port: 2\n    bogus: 3\n", `line 5: unknown field "bogus"`},
		{"name: a\nnmae: b\n", `line 2: unknown field "nmae"`},
		{"name: a\ninner:\n  port: eighty\n", "line 3: cannot unmarshal"},
	}
	for _, c := range cases {
		var o outer
		err := Strict(strings.NewReader(c.in), &o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.in, err, c.want)
		}
	}
	var o outer
	if err := Strict(strings.NewReader("name: a\ninner: {port: 5}\nlist: [{port: 6}]\n"), &o); err != nil {
		t.Fatal(err)
	}
	if o.Name != "a" || o.Inner.Port != 5 || len(o.List) != 1 || o.List[0].Port != 6 {
		t.Errorf("decoded %+v", o)
	}
}

func TestStrictRejectsEmptyAndMultiDocument(t *testing.T) {
	var o outer
	if err := Strict(strings.NewReader(""), &o); err == nil {
		t.Error("empty document accepted")
	}
	if err := Strict(strings.NewReader("name: a\n---\nname: b\n"), &o); err == nil {
		t.Error("second document accepted")
	}
}

func TestStrictResolvesAliasesFromOutsideTheSubtree(t *testing.T) {
	type doc struct {
		Base  inner   `yaml:"base"`
		Outer []outer `yaml:"outers"`
	}
	in := "base: &b {port: 7}\nouters:\n  - name: x\n    inner: *b\n  - name: y\n    inner: {<<: *b}\n"
	var d doc
	if err := Strict(strings.NewReader(in), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Outer) != 2 || d.Outer[0].Inner.Port != 7 || d.Outer[1].Inner.Port != 7 {
		t.Errorf("decoded %+v", d)
	}
}
