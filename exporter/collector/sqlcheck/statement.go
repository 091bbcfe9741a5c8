package sqlcheck

import (
	"errors"
	"strings"
)

// errManyStatements: PostgreSQL refuses several commands in one prepared
// statement, so a check such as "SELECT 1; DELETE FROM t" would fail on
// every scrape; it is refused when the config is loaded (and by
// --config.check) instead.
var errManyStatements = errors.New("query: holds more than one SQL statement; a check runs exactly one query")

// checkSingleStatement reports a ';' followed by anything but blanks and
// comments, skipping quoted strings, quoted identifiers, dollar-quoted
// strings and comments, where a ';' is not a separator.
func checkSingleStatement(q string) error {
	ended := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			continue
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(q)
			}
			continue
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				i += j + 3
			} else {
				i = len(q)
			}
			continue
		}
		if ended {
			return errManyStatements
		}
		switch c {
		case ';':
			ended = true
		case '\'', '"':
			// '' and "" inside are escapes: skipping to the next quote
			// and resuming handles them as two adjacent strings.
			if j := strings.IndexByte(q[i+1:], c); j >= 0 {
				i += j + 1
			} else {
				i = len(q)
			}
		case '$':
			if tag, ok := dollarTag(q[i:]); ok {
				if j := strings.Index(q[i+len(tag):], tag); j >= 0 {
					i += len(tag) + j + len(tag) - 1
				} else {
					i = len(q)
				}
			}
		}
	}
	return nil
}

// dollarTag returns the opening $tag$ of a dollar-quoted string at s.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1], true
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (j > 1 && c >= '0' && c <= '9'):
		default:
			return "", false
		}
	}
	return "", false
}
