package baseline

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

func TestQueriesParseAndCarrySelectors(t *testing.T) {
	sel := Selectors{Node: `job="n"`, App: `job=~"a|b"`, Postgres: `job="p"`, Redis: `job="r"`, AppErrors: `code=~"5.."`}
	wantJob := map[string]string{"node": "n", "http": "a|b", "pg": "p", "redis": "r"}
	p := parser.NewParser(parser.Options{})
	for _, q := range Quantities() {
		for _, s := range []Selectors{{}, sel} {
			query := q.Query(s, "5m")
			expr, err := p.ParseExpr(query)
			if err != nil {
				t.Fatalf("%s: query %q does not parse: %v", q.Name, query, err)
			}
			selectors := 0
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				vs, ok := node.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				selectors++
				prefix, _, _ := strings.Cut(vs.Name, "_")
				job := matcherValue(vs.LabelMatchers, "job")
				if s == sel && job != wantJob[prefix] {
					t.Errorf("%s: %s has job matcher %q, want %q", q.Name, vs.Name, job, wantJob[prefix])
				}
				if s == (Selectors{}) && job != "" {
					t.Errorf("%s: %s has a job matcher without selectors", q.Name, vs.Name)
				}
				return nil
			})
			if selectors == 0 {
				t.Errorf("%s: query %q selects no metric", q.Name, query)
			}
		}
	}
}

func matcherValue(ms []*labels.Matcher, name string) string {
	for _, m := range ms {
		if m.Name == name {
			return m.Value
		}
	}
	return ""
}

func TestValidateMatchers(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr string
	}{
		{``, ""},
		{`job="node"`, ""},
		{`job=~"node|golive", env!="dev"`, ""},
		{`{job="node"}`, "without braces"},
		{`job=node`, "expected a quoted value"},
		{`job="node",,`, "expected a label name"},
		{`job`, "expected one of =, !=, =~, !~"},
	} {
		err := ValidateMatchers(tc.in)
		if tc.wantErr == "" && err != nil {
			t.Errorf("ValidateMatchers(%q) = %v, want nil", tc.in, err)
		}
		if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("ValidateMatchers(%q) = %v, want containing %q", tc.in, err, tc.wantErr)
		}
	}
}
