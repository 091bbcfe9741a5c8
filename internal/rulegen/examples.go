package rulegen

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// Unit tests need label values that a configured regular expression
// (job=~"...", check=~"...") matches, and one it does not.

// examples returns up to limit distinct strings matched by the anchored
// regular expression re, one per top-level alternative where possible.
func examples(re string, limit int) ([]string, error) {
	parsed, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", re, err)
	}
	matcher := regexp.MustCompile("^(?:" + re + ")$") // compiles: syntax.Parse accepted it
	alternatives := []*syntax.Regexp{parsed}
	if parsed.Op == syntax.OpAlternate {
		alternatives = parsed.Sub
	}
	var out []string
	seen := map[string]bool{}
	for _, alt := range alternatives {
		var b strings.Builder
		example(&b, alt)
		s := b.String()
		if !seen[s] && matcher.MatchString(s) {
			seen[s] = true
			out = append(out, s)
		}
		if len(out) == limit {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cannot construct a value matching %q for the unit tests", re)
	}
	return out, nil
}

// example writes one short string matched by r.
func example(b *strings.Builder, r *syntax.Regexp) {
	switch r.Op {
	case syntax.OpLiteral:
		b.WriteString(string(r.Rune))
	case syntax.OpCharClass:
		b.WriteRune(classExample(r.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('x')
	case syntax.OpCapture, syntax.OpPlus, syntax.OpStar, syntax.OpQuest:
		// One repetition keeps label values non-empty (an empty value is
		// an absent label).
		example(b, r.Sub[0])
	case syntax.OpRepeat:
		for i := 0; i < max(r.Min, 1); i++ {
			example(b, r.Sub[0])
		}
	case syntax.OpConcat:
		for _, s := range r.Sub {
			example(b, s)
		}
	case syntax.OpAlternate:
		example(b, r.Sub[0])
	}
	// OpEmptyMatch and assertions match the empty string.
}

// classExample prefers a lower-case letter or digit inside the class.
func classExample(ranges []rune) rune {
	for _, want := range []rune{'a', '0', 'x'} {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= want && want <= ranges[i+1] {
				return want
			}
		}
	}
	return ranges[0]
}

// firstMatching returns the first candidate the anchored re matches, else
// an example constructed from re.
func firstMatching(re string, candidates ...string) (string, error) {
	if matcher, err := regexp.Compile("^(?:" + re + ")$"); err == nil {
		for _, c := range candidates {
			if matcher.MatchString(c) {
				return c, nil
			}
		}
	}
	ex, err := examples(re, 1)
	if err != nil {
		return "", err
	}
	return ex[0], nil
}

// nonMatching returns the first candidate the anchored re does not match, or
// "" when it matches them all.
func nonMatching(re string, candidates ...string) string {
	matcher, err := regexp.Compile("^(?:" + re + ")$")
	if err != nil {
		return ""
	}
	for _, c := range candidates {
		if !matcher.MatchString(c) {
			return c
		}
	}
	return ""
}
