// Package secret keeps credentials out of logs, errors, metrics and the UI.
//
// A Secret prints and marshals as "<secret>". Config fields that hold one have
// a *_file twin; Resolve reads the file (or an environment variable) so that
// secrets need never be written into a config file.
package secret

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Redacted is what a Secret shows instead of its value.
const Redacted = "<secret>"

// Secret is a string that never shows its value when printed or marshalled.
type Secret string

func (s Secret) String() string { return Redacted }

// GoString keeps %#v from leaking the value.
func (s Secret) GoString() string { return Redacted }

// MarshalYAML hides the value when a config is dumped.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return Redacted, nil
}

// MarshalJSON hides the value in API answers.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte(`""`), nil
	}
	return []byte(`"` + Redacted + `"`), nil
}

// Value returns the secret itself; call it only where the secret is used.
func (s Secret) Value() string { return string(s) }

// ErrBoth means a config set both a value and its _file twin.
var ErrBoth = errors.New("at most one of the value and its _file may be set")

// Resolve returns the secret from exactly one of: the inline value, the file
// (trailing newline trimmed), or the environment variable env (when env is not
// empty and neither of the others is set). field names the config field for
// error messages; the secret's value never appears in an error.
func Resolve(field string, inline Secret, file, env string) (Secret, error) {
	if inline != "" && file != "" {
		return "", fmt.Errorf("%s and %s_file: %w", field, field, ErrBoth)
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			// The path is not secret; the content is never read into the error.
			return "", fmt.Errorf("%s_file: %w", field, err)
		}
		return Secret(strings.TrimRight(string(b), "\r\n")), nil
	}
	if inline != "" {
		return inline, nil
	}
	if env != "" {
		return Secret(os.Getenv(env)), nil
	}
	return "", nil
}
