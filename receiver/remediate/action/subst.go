package action

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Substitution feeds one alert label into a request. Allow is an anchored
// regular expression the value must match in full; a value that does not
// (a `;`, `$(...)`, a newline, `../` when the expression does not allow
// them) refuses the run. There is no substitution without an allow-list.
type Substitution struct {
	Label string `yaml:"label"`
	Allow string `yaml:"allow"`
	re    *regexp.Regexp
}

// Substitutions are named; a template says {name} to use one.
type Substitutions map[string]*Substitution

var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Compile checks every substitution and that each {name} in templates is
// defined. field prefixes errors (e.g. "remediation.actions[0].exec").
func (s Substitutions) Compile(field string, templates map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(s)) {
		sub := s[name]
		f := fmt.Sprintf("%s.substitutions.%s", field, name)
		if !placeholder.MatchString("{" + name + "}") {
			return fmt.Errorf("%s: the name must be a letter or _ followed by letters, digits or _", f)
		}
		if sub == nil || sub.Label == "" {
			return fmt.Errorf("%s.label: required (the alert label whose value is substituted)", f)
		}
		if sub.Allow == "" {
			return fmt.Errorf("%s.allow: required: every substitution needs an allow-list regexp", f)
		}
		re, err := regexp.Compile("^(?:" + sub.Allow + ")$")
		if err != nil {
			return fmt.Errorf("%s.allow: %w", f, err)
		}
		if re.MatchString("") {
			return fmt.Errorf("%s.allow: %q matches the empty value; require at least one character", f, sub.Allow)
		}
		sub.re = re
	}
	for _, where := range slices.Sorted(maps.Keys(templates)) {
		for _, m := range placeholder.FindAllStringSubmatch(templates[where], -1) {
			if _, ok := s[m[1]]; !ok {
				return fmt.Errorf("%s.%s: {%s} is not a defined substitution (add it under substitutions with label and allow)",
					field, where, m[1])
			}
		}
	}
	return nil
}

// Values resolves every substitution against labels; the first value that
// is missing or not allowed refuses the plan.
func (s Substitutions) Values(labels map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(s))
	for _, name := range slices.Sorted(maps.Keys(s)) {
		sub := s[name]
		v, ok := labels[sub.Label]
		if !ok {
			return nil, fmt.Errorf("%w: substitution %s: the alert has no label %q", ErrRefused, name, sub.Label)
		}
		if sub.re == nil || !sub.re.MatchString(v) {
			return nil, fmt.Errorf("%w: substitution %s: label %s=%q does not match the allow-list %q",
				ErrRefused, name, sub.Label, v, sub.Allow)
		}
		out[name] = v
	}
	return out, nil
}

// Expand replaces each {name} in tmpl with its value (escape applied),
// leaving other text as it is.
func Expand(tmpl string, values map[string]string, escape func(string) string) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		v := values[m[1:len(m)-1]]
		if escape != nil {
			v = escape(v)
		}
		return v
	})
}

// HasPlaceholder reports whether s uses a substitution.
func HasPlaceholder(s string) bool { return placeholder.MatchString(s) }

// Bounded is an io.Writer that keeps the first Max bytes and counts the
// rest, so a chatty command cannot fill memory or the timeline.
type Bounded struct {
	Max       int
	buf       strings.Builder
	truncated bool
}

func (b *Bounded) Write(p []byte) (int, error) {
	room := max(0, b.Max-b.buf.Len())
	if len(p) > room {
		b.truncated = true
	}
	b.buf.Write(p[:min(room, len(p))])
	return len(p), nil
}

// String is what was kept; Truncated whether anything was dropped.
func (b *Bounded) String() string { return strings.ToValidUTF8(b.buf.String(), "\uFFFD") }

// Truncated reports whether output was dropped.
func (b *Bounded) Truncated() bool { return b.truncated }
