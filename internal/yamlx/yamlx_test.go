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
		{"name: a\ninner:\n  port: 1\n  prot: 2\n", "line 4: field prot not found"},
		{"name: a\nlist:\n  - port: 1\n  - port: 2\n    bogus: 3\n", "line 5: field bogus not found"},
		{"name: a\nnmae: b\n", "line 2: field nmae not found"},
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
