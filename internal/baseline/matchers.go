package baseline

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// parseMatchers checks a comma-separated list of PromQL label matchers
// (job="node", env=~"prod|staging"). It is a small parser of its own so the
// binary does not link the Prometheus server's PromQL engine for one check.
func parseMatchers(s string) error {
	rest := strings.TrimSpace(s)
	for rest != "" {
		var err error
		if rest, err = parseMatcher(rest); err != nil {
			return err
		}
		rest = strings.TrimSpace(rest)
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return fmt.Errorf("expected ',' between matchers at %q", rest)
		}
		rest = strings.TrimSpace(rest[1:]) // a trailing comma is allowed, as in PromQL
	}
	return nil
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*`)

func parseMatcher(s string) (string, error) {
	name := labelName.FindString(s)
	if name == "" {
		return "", fmt.Errorf("expected a label name at %q", s)
	}
	s = strings.TrimSpace(s[len(name):])
	var op string
	for _, o := range []string{"=~", "!~", "!=", "="} {
		if strings.HasPrefix(s, o) {
			op = o
			break
		}
	}
	if op == "" {
		return "", fmt.Errorf("label %s: expected one of =, !=, =~, !~ at %q", name, s)
	}
	s = strings.TrimSpace(s[len(op):])
	value, rest, err := quoted(s)
	if err != nil {
		return "", fmt.Errorf("label %s: %w", name, err)
	}
	if op == "=~" || op == "!~" {
		if _, err := regexp.Compile("^(?:" + value + ")$"); err != nil {
			return "", fmt.Errorf("label %s: invalid regular expression: %w", name, err)
		}
	}
	return rest, nil
}

// quoted reads one PromQL string literal: "..." or '...' with Go escapes, or
// `...` raw.
func quoted(s string) (value, rest string, err error) {
	if s == "" {
		return "", "", errors.New("expected a quoted value")
	}
	q := s[0]
	if q != '"' && q != '\'' && q != '`' {
		return "", "", fmt.Errorf("expected a quoted value at %q", s)
	}
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && q != '`':
			i++ // skip the escaped character
		case s[i] == q:
			lit := s[:i+1]
			if q == '\'' {
				// Go has no single-quoted strings: requote the body.
				lit = `"` + strings.ReplaceAll(strings.ReplaceAll(lit[1:i], `\'`, `'`), `"`, `\"`) + `"`
			}
			v, err := strconv.Unquote(lit)
			if err != nil {
				return "", "", fmt.Errorf("invalid string %s: %w", s[:i+1], err)
			}
			return v, s[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("unterminated string %s", s)
}
