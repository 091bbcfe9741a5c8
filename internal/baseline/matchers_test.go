package baseline

import (
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// The small parser must agree with Prometheus's own on what is valid.
func TestMatchersAgreeWithPromQL(t *testing.T) {
	for _, s := range []string{
		`job="node"`, `job="node",env=~"prod|staging"`, `job = "a" , instance!="b",`, `job=~'x.*'`,
		"job=`raw\\d`", `a="q\"uote"`, `a='it\'s'`, `_x!~"y"`,
		`job`, `job=node`, `job="node`, `1job="x"`, `job=="x"`, `job=~"(unclosed"`, `job="a" env="b"`,
		`job="a",,env="b"`, `job<"x"`, `job="\q"`,
	} {
		_, promErr := parser.NewParser(parser.Options{}).ParseMetricSelector("{" + s + "}")
		ourErr := parseMatchers(s)
		if (promErr == nil) != (ourErr == nil) {
			t.Errorf("%s: promql err = %v, ours = %v", s, promErr, ourErr)
		}
	}
}
