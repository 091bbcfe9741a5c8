// Package yamlx is golive's one strict YAML decoder: every config file (the
// exporter's, the prober modules, the thresholds file, the receiver's) and
// every section in them is decoded by it, so every file refuses the same
// mistakes and words them the same way:
//
//	line 7: redis[0].enabled: "maybe" is not a boolean
//
// It refuses unknown keys, a key given twice in one mapping, a second
// document, a file, a value or an alias expansion beyond Limits, and values
// of the wrong type, each at the line of the offending key or value with the
// full path to it. Durations (time.Duration and model.Duration alike) take
// Prometheus's syntax: 90s, 15m, 1h30m, 1d, 2w, 1y.
//
// yaml.v3 alone cannot do this: Decoder.KnownFields(true) stops at the first
// type with its own UnmarshalYAML (Node.Decode starts a fresh, lenient
// decoder), its duplicate-key check stops there too, and its errors name Go
// types and lines but never the field. So yamlx walks the document against
// the Go types itself and calls each section's UnmarshalYAML with the
// section's own node, which it then locates.
//
// # Adding a section
//
// A package that owns a config section declares its type with yaml tags and,
// when it has defaults or checks, an UnmarshalYAML that decodes with
// DecodeStrict and validates:
//
//	func (c *Config) UnmarshalYAML(value *yaml.Node) error {
//		*c = DefaultConfig
//		type plain Config // plain has no UnmarshalYAML: no recursion
//		if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
//			return err
//		}
//		return c.Validate()
//	}
//
// Validate returns errors whose message starts with the field path relative
// to the section, then ": " and what is wrong:
//
//	fmt.Errorf("rules[%d].matchers[%d]: %q: %w", i, j, m, err)
//
// The decoder finds that field under the section's node and reports the
// error at its line with the section's own path in front
// (`line 12: remediation.rules[0].matchers[1]: ...`). An error that starts
// with no field is reported at the section's line. Use Errorf to point at a
// node of your own. The section is then one field of the file's Config
// struct; nothing else needs registering.
//
// A check that spans sections runs after decoding, on the whole config, and
// returns the same kind of path-led error ("sql_checks[1].postgres: ...");
// Document.Locate gives it its line.
package yamlx

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Error is a config error located in its file: "line N: path: message".
// Line is 0 when the offending value is not in the file (a default), Path
// is empty for the document as a whole.
type Error struct {
	Line int
	Path string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf returns an error located at node, for an UnmarshalYAML that knows
// exactly which node is wrong. path is relative to the section being
// decoded ("" for the section itself).
func Errorf(node *yaml.Node, path, format string, args ...any) error {
	line := 0
	if node != nil {
		line = node.Line
	}
	return &Error{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Prefix puts path in front of err's field path, for a check that
// validates a part of its section: Prefix("channels[2]", err) reads
// "channels[2].slack.url: ..." when err reads "slack.url: ...", and
// "channels[2]: ..." when err names no field. The decoder then finds that
// field's line. err stays wrapped.
func Prefix(path string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := asError(err); ok {
		return &Error{Line: e.Line, Path: joinPath(path, e.Path), Msg: e.Msg}
	}
	if _, _, ok := leadingPath(err.Error()); ok {
		return &prefixed{path + ".", err}
	}
	return &prefixed{path + ": ", err}
}

type prefixed struct {
	prefix string
	err    error
}

func (p *prefixed) Error() string { return p.prefix + p.err.Error() }
func (p *prefixed) Unwrap() error { return p.err }

// Limits bound what a file may make the decoder do.
type Limits struct {
	// MaxBytes bounds the whole file.
	MaxBytes int
	// MaxScalarBytes bounds one value (a name, a query, a regexp).
	MaxScalarBytes int
	// MaxNodes bounds the values decoded, aliases expanded: a few
	// anchors referring to each other can otherwise stand for billions.
	MaxNodes int
	// MaxDepth bounds nesting.
	MaxDepth int
}

// DefaultLimits are far above any real config and far below what hurts.
var DefaultLimits = Limits{MaxBytes: 4 << 20, MaxScalarBytes: 64 << 10, MaxNodes: 1 << 20, MaxDepth: 64}

// Document is one parsed file, kept so that checks run after decoding can
// be located in it.
type Document struct {
	root   *yaml.Node // nil for an empty file
	limits Limits
}

// Parse reads exactly one YAML document within DefaultLimits.
func Parse(data []byte) (*Document, error) { return ParseLimits(data, DefaultLimits) }

// ParseLimits is Parse with other limits.
func ParseLimits(data []byte, limits Limits) (*Document, error) {
	if len(data) > limits.MaxBytes {
		return nil, &Error{Msg: fmt.Sprintf("the file is %d bytes long, more than the %d allowed", len(data), limits.MaxBytes)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Document{limits: limits}, nil
		}
		return nil, syntaxError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(err)
	default:
		return nil, &Error{Line: extra.Line, Msg: "a second YAML document starts here: a config file holds exactly one"}
	}
	d := &Document{limits: limits}
	if len(doc.Content) > 0 && !isNull(doc.Content[0]) {
		d.root = doc.Content[0]
	}
	return d, nil
}

// Root is the document's top node, nil for an empty file.
func (d *Document) Root() *yaml.Node { return d.root }

// Decode decodes the document into out (a pointer). An empty document
// leaves out as it is, defaults included.
func (d *Document) Decode(out any) error {
	if d.root == nil {
		return nil
	}
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("yamlx: Decode needs a non-nil pointer, got %T", out)
	}
	dec := &decoder{limits: d.limits}
	return dec.decode(d.root, v.Elem(), "", 0)
}

// Locate gives err, returned by a check of the decoded config, the line of
// the field its message starts with ("incidents.reopen_window: ..."). An
// *Error is returned as it is; each error of an errors.Join is located on
// its own.
func (d *Document) Locate(err error) error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs := joined.Unwrap()
		out := make([]error, len(errs))
		for i, e := range errs {
			out[i] = d.Locate(e)
		}
		return errors.Join(out...)
	}
	if d.root == nil {
		if e, ok := asError(err); ok {
			return e
		}
		if path, msg, ok := leadingPath(err.Error()); ok {
			return &Error{Path: path, Msg: msg}
		}
		return &Error{Msg: err.Error()}
	}
	return locate(d.root, "", err, true)
}

// Line is the line of the field at path ("postgres[1].name"), or of the
// closest enclosing node in the file.
func (d *Document) Line(path string) int {
	if d.root == nil {
		return 0
	}
	n, _ := find(d.root, path)
	return n.Line
}

// Unmarshal parses data and decodes it into out: Parse, then Decode.
func Unmarshal(data []byte, out any) error {
	d, err := Parse(data)
	if err != nil {
		return err
	}
	return d.Decode(out)
}

// DecodeStrict decodes node into out with every check of the file's own
// decoder. Use it in UnmarshalYAML instead of node.Decode (see the package
// comment); its errors' paths are relative to node.
func DecodeStrict(node *yaml.Node, out any) error {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("yamlx: DecodeStrict needs a non-nil pointer, got %T", out)
	}
	dec := &decoder{limits: DefaultLimits}
	return dec.decode(node, v.Elem(), "", 0)
}

// Strict reads one document from r and decodes it into out.
func Strict(r io.Reader, out any) error {
	data, err := io.ReadAll(io.LimitReader(r, int64(DefaultLimits.MaxBytes)+1))
	if err != nil {
		return err
	}
	return Unmarshal(data, out)
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	modelDurationType   = reflect.TypeFor[model.Duration]()
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	obsoleteType        = reflect.TypeFor[obsoleteUnmarshaler]()
	nodeType            = reflect.TypeFor[yaml.Node]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType            = reflect.TypeFor[time.Time]()
)

// obsoleteUnmarshaler is the yaml.v2 form, which prometheus/common's types
// (TLSConfig, Secret, ...) implement.
type obsoleteUnmarshaler interface {
	UnmarshalYAML(unmarshal func(any) error) error
}

type decoder struct {
	limits Limits
	nodes  int
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, depth int) error {
	n = resolve(n)
	d.nodes++
	if d.nodes > d.limits.MaxNodes {
		return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("the document expands to more than %d values (aliases?)", d.limits.MaxNodes)}
	}
	if depth > d.limits.MaxDepth {
		return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("nested more than %d levels deep", d.limits.MaxDepth)}
	}
	if n.Kind == yaml.ScalarNode && len(n.Value) > d.limits.MaxScalarBytes {
		return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("the value is %d bytes long, more than the %d allowed", len(n.Value), d.limits.MaxScalarBytes)}
	}
	t := v.Type()
	switch t {
	case durationType, modelDurationType:
		return decodeDuration(n, v, path)
	case nodeType:
		v.Set(reflect.ValueOf(*n))
		return nil
	}
	if isNull(n) {
		// As yaml.v3: null empties a pointer, slice, map or interface and
		// leaves anything else (defaults included) as it is, without
		// calling an unmarshaler.
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
		}
		return nil
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.decode(n, v.Elem(), path, depth+1)
	}
	if v.CanAddr() {
		switch pt := reflect.PointerTo(t); {
		case pt.Implements(unmarshalerType):
			err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n)
			return locate(n, path, err, false)
		case pt.Implements(obsoleteType):
			u := v.Addr().Interface().(obsoleteUnmarshaler)
			err := u.UnmarshalYAML(func(out any) error {
				sub := &decoder{limits: d.limits, nodes: d.nodes}
				defer func() { d.nodes = sub.nodes }()
				return sub.decode(n, reflect.ValueOf(out).Elem(), "", depth+1)
			})
			return locate(n, path, err, false)
		}
	}
	if n.Kind == yaml.ScalarNode && (t == timeType || reflect.PointerTo(t).Implements(textUnmarshalerType)) {
		return decodeScalar(n, v, path) // time.Time, net.IP and the like: yaml.v3 knows them
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.decodeStruct(n, v, path, depth)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && n.Kind == yaml.ScalarNode {
			return decodeScalar(n, v, path) // []byte from !!binary or a string
		}
		return d.decodeSlice(n, v, path, depth)
	case reflect.Map:
		return d.decodeMap(n, v, path, depth)
	case reflect.Interface:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return &Error{Line: n.Line, Path: path, Msg: yamlMessage(err)}
		}
		return nil
	default:
		return decodeScalar(n, v, path)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string, depth int) error {
	if n.Kind != yaml.MappingNode {
		return &Error{Line: n.Line, Path: path, Msg: "must be a mapping of keys to values, not " + describe(n)}
	}
	fields, inlineMap := fieldsOf(v.Type())
	pairs, err := d.pairs(n, path)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		key := p.key.Value
		fp := join(path, key)
		f, ok := fields[key]
		if !ok {
			if inlineMap != nil {
				m := v.FieldByIndex(inlineMap)
				if m.IsNil() {
					m.Set(reflect.MakeMap(m.Type()))
				}
				e := reflect.New(m.Type().Elem()).Elem()
				if err := d.decode(p.value, e, fp, depth+1); err != nil {
					return err
				}
				m.SetMapIndex(reflect.ValueOf(key).Convert(m.Type().Key()), e)
				continue
			}
			return &Error{Line: p.key.Line, Path: fp, Msg: "unknown field" + suggest(key, fields)}
		}
		if err := d.decode(p.value, fieldByIndex(v, f), fp, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string, depth int) error {
	if n.Kind != yaml.SequenceNode {
		return &Error{Line: n.Line, Path: path, Msg: "must be a list, not " + describe(n)}
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	elem := v.Type().Elem()
	for elem.Kind() == reflect.Pointer {
		elem = elem.Elem()
	}
	for i, item := range n.Content {
		if isNull(resolve(item)) && elem.Kind() == reflect.Struct {
			// An empty list entry ("- ") is an entry with every field left
			// out, so that its section applies defaults and says what is
			// missing rather than leaving a zero entry unchecked.
			item = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: item.Line, Column: item.Column}
		}
		if err := d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string, depth int) error {
	if n.Kind != yaml.MappingNode {
		return &Error{Line: n.Line, Path: path, Msg: "must be a mapping, not " + describe(n)}
	}
	pairs, err := d.pairs(n, path)
	if err != nil {
		return err
	}
	t := v.Type()
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(pairs)))
	}
	for _, p := range pairs {
		fp := join(path, p.key.Value)
		k := reflect.New(t.Key()).Elem()
		if err := d.decode(p.key, k, fp, depth+1); err != nil {
			return err
		}
		e := reflect.New(t.Elem()).Elem()
		if err := d.decode(p.value, e, fp, depth+1); err != nil {
			return err
		}
		v.SetMapIndex(k, e)
	}
	return nil
}

type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's entries, merge keys (<<: *defaults) expanded with
// the mapping's own keys taking precedence, and refuses a key given twice.
func (d *decoder) pairs(n *yaml.Node, path string) ([]pair, error) {
	var merged, own []pair
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			for _, m := range mergeSources(resolve(v)) {
				if m.Kind != yaml.MappingNode {
					return nil, &Error{Line: k.Line, Path: path, Msg: "<< must merge a mapping or a list of mappings"}
				}
				inner, err := d.pairs(m, path)
				if err != nil {
					return nil, err
				}
				merged = append(merged, inner...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, &Error{Line: k.Line, Path: path, Msg: "a key must be a plain value, not " + describe(k)}
		}
		if len(k.Value) > d.limits.MaxScalarBytes {
			return nil, &Error{Line: k.Line, Path: path, Msg: fmt.Sprintf("a key is %d bytes long, more than the %d allowed", len(k.Value), d.limits.MaxScalarBytes)}
		}
		if line, dup := first[k.Value]; dup {
			return nil, &Error{Line: k.Line, Path: join(path, k.Value), Msg: fmt.Sprintf("is defined twice (first at line %d)", line)}
		}
		first[k.Value] = k.Line
		own = append(own, pair{k, v})
	}
	if len(merged) == 0 {
		return own, nil
	}
	out := make([]pair, 0, len(merged)+len(own))
	seen := map[string]bool{}
	for _, p := range slices.Backward(merged) { // later merges win, as in YAML 1.1
		if _, overridden := first[p.key.Value]; !overridden && !seen[p.key.Value] {
			seen[p.key.Value] = true
			out = append(out, p)
		}
	}
	slices.Reverse(out)
	return append(out, own...), nil
}

func mergeSources(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		out := make([]*yaml.Node, len(v.Content))
		for i, c := range v.Content {
			out[i] = resolve(c)
		}
		return out
	}
	return []*yaml.Node{v}
}

func decodeDuration(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return &Error{Line: n.Line, Path: path, Msg: "must be a duration such as 30s, 5m, 1h or 1d, not " + describe(n)}
	}
	d, err := model.ParseDuration(n.Value)
	if err != nil {
		return &Error{Line: n.Line, Path: path, Msg: shown(n.Value) + " is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w"}
	}
	v.SetInt(int64(d))
	return nil
}

func decodeScalar(n *yaml.Node, v reflect.Value, path string) error {
	want := map[reflect.Kind]string{reflect.Bool: "a boolean", reflect.String: "a string",
		reflect.Float32: "a number", reflect.Float64: "a number"}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		want[v.Kind()] = "an integer"
	}
	if n.Kind != yaml.ScalarNode {
		w := want[v.Kind()]
		if w == "" {
			w = "a single value"
		}
		return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("must be %s, not %s", w, describe(n))}
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		if reflect.PointerTo(v.Type()).Implements(textUnmarshalerType) {
			return &Error{Line: n.Line, Path: path, Msg: yamlMessage(err)} // the type's own words
		}
		w, ok := want[v.Kind()]
		switch {
		case w == "an integer" && n.Tag == "!!int":
			return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("%s is out of range (%s)", n.Value, v.Type())}
		case ok:
			return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf("%s is not %s", shown(n.Value), w)}
		}
		return &Error{Line: n.Line, Path: path, Msg: yamlMessage(err)}
	}
	return nil
}

// fieldsOf maps a struct's YAML keys to their field index paths, following
// ",inline" as yaml.v3 does. inlineMap is the index of an inline map that
// takes the remaining keys, if any.
func fieldsOf(t reflect.Type) (fields map[string][]int, inlineMap []int) {
	fields = map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Map {
				inlineMap = []int{i}
				continue
			}
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			inner, innerMap := fieldsOf(ft)
			for k, idx := range inner {
				fields[k] = append([]int{i}, idx...)
			}
			if innerMap != nil {
				inlineMap = append([]int{i}, innerMap...)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // yaml.v3's default key
		}
		fields[name] = []int{i}
	}
	return fields, inlineMap
}

// fieldByIndex is FieldByIndex that allocates nil embedded pointers.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 {
			for v.Kind() == reflect.Pointer {
				if v.IsNil() {
					v.Set(reflect.New(v.Type().Elem()))
				}
				v = v.Elem()
			}
		}
		v = v.Field(x)
	}
	return v
}

// suggest names the known field closest to a mistyped key, when one is
// close enough to be the intended one.
func suggest(key string, fields map[string][]int) string {
	best, bestDist := "", 3 // at most two edits away
	for name := range fields {
		if d := distance(key, name); d < bestDist || (d == bestDist && name < best) {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// locate turns err, returned while decoding node n at path, into an *Error:
// an *Error from a nested DecodeStrict keeps its line and gets path in
// front; a message starting with a field path ("timeout: must be
// positive") gets that field's line; anything else n's line. whole is set
// when n is the document root: a leading path not in the file then keeps
// no line rather than the root's.
func locate(n *yaml.Node, path string, err error, whole bool) error {
	if err == nil {
		return nil
	}
	if e, ok := asError(err); ok {
		line := e.Line
		if line == 0 && !whole {
			line = n.Line
		}
		return &Error{Line: line, Path: joinPath(path, e.Path), Msg: e.Msg}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		// A section that still decodes with node.Decode.
		line, msg := splitLine(te.Errors[0])
		if line == 0 {
			line = n.Line
		}
		return &Error{Line: line, Path: path, Msg: msg}
	}
	msg := err.Error()
	if rel, rest, ok := leadingPath(msg); ok {
		rel = withoutOwnName(n, path, rel)
		target, exact := find(n, rel)
		line := target.Line
		if whole && !exact && target == resolve(n) {
			line = 0 // not in the file at all: a default
		}
		return &Error{Line: line, Path: joinPath(path, rel), Msg: rest}
	}
	if line, rest := splitLine(msg); line > 0 {
		// A section that found the line itself: "line 12: session.key_file: ..."
		if rel, rest2, ok := leadingPath(rest); ok {
			return &Error{Line: line, Path: joinPath(path, withoutOwnName(n, path, rel)), Msg: rest2}
		}
		return &Error{Line: line, Path: path, Msg: rest}
	}
	if key, rest, ok := leadingKey(n, msg); ok {
		// "port 70000 is out of range": the field is in the section, so
		// the error is at its line.
		target, _ := find(n, key)
		return &Error{Line: target.Line, Path: joinPath(path, key), Msg: rest}
	}
	if whole {
		return &Error{Msg: msg}
	}
	return &Error{Line: n.Line, Path: path, Msg: msg}
}

// withoutOwnName drops the section's own key from the front of rel, for a
// section that names itself in its messages ("retention.interval: ..."
// from the retention section), unless the section has a field of that
// name.
func withoutOwnName(n *yaml.Node, path, rel string) string {
	key := path[strings.LastIndex(path, ".")+1:]
	if key == "" || strings.ContainsAny(key, "[]") || !strings.HasPrefix(rel, key+".") {
		return rel
	}
	if _, own := find(n, key); own {
		return rel
	}
	return strings.TrimPrefix(rel, key+".")
}

// leadingKey finds a message that starts with a key present in mapping n
// followed by a space ("timeout must be positive"), and returns the key and
// the rest ("must be positive"). The whole message is kept when the key
// starts a list of fields ("password and password_file: ...").
func leadingKey(n *yaml.Node, msg string) (key, rest string, ok bool) {
	key, rest, found := strings.Cut(msg, " ")
	if !found || key == "" || resolve(n).Kind != yaml.MappingNode {
		return "", "", false
	}
	if _, present := find(n, key); !present {
		return "", "", false
	}
	if w, _, _ := strings.Cut(rest, " "); w == "and" || w == "or" || strings.HasPrefix(rest, ",") {
		return key, msg, true
	}
	return key, rest, true
}

// pathRE matches a field path at the start of a message: name, name[1],
// name.sub[0].leaf, and map keys such as P0 or http_2xx.
var pathRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*(?:\[\d+\])*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*(?:\[\d+\])*)*): (.+)$`)

func leadingPath(msg string) (path, rest string, ok bool) {
	m := pathRE.FindStringSubmatch(msg)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

var (
	segmentRE = regexp.MustCompile(`^([^.\[]+)((?:\[\d+\])*)`)
	digitsRE  = regexp.MustCompile(`\d+`)
)

// find walks path from n and returns the node it names (the key, for a
// mapping entry, so a block value is reported where its key is), or the
// deepest node it reached and false.
func find(n *yaml.Node, path string) (*yaml.Node, bool) {
	cur := resolve(n)
	at := cur
	for _, seg := range strings.Split(path, ".") {
		m := segmentRE.FindStringSubmatch(seg)
		if m == nil {
			return at, false
		}
		if cur.Kind != yaml.MappingNode {
			return at, false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == m[1] {
				at, next = cur.Content[i], resolve(cur.Content[i+1])
			}
		}
		if next == nil {
			return at, false
		}
		cur = next
		for _, idx := range digitsRE.FindAllString(m[2], -1) {
			i, _ := strconv.Atoi(idx)
			if cur.Kind != yaml.SequenceNode || i >= len(cur.Content) {
				return at, false
			}
			cur = resolve(cur.Content[i])
			at = cur
		}
	}
	return at, true
}

var lineRE = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (.*)$`)

func splitLine(msg string) (int, string) {
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, msg
}

// syntaxError words yaml.v3's parse errors in the common format.
func syntaxError(err error) error {
	line, msg := splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
	return &Error{Line: line, Msg: "invalid YAML: " + msg}
}

func yamlMessage(err error) string {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	_, msg = splitLine(strings.TrimPrefix(msg, "yaml: "))
	return msg
}

// shown quotes a mistyped value for an error message when it looks like a
// typo rather than a secret pasted on the wrong line (errors end up in
// logs): a short word ("maybe", "soon"), or a number or duration that
// starts with a digit or a sign ("15x", "-1s").
func shown(v string) string {
	if len(v) <= 8 || (len(v) <= 32 && strings.ContainsRune("0123456789-+.", rune(v[0]))) {
		return strconv.Quote(v)
	}
	return "the value"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if isNull(n) {
		return "null"
	}
	return "a single value" // not quoted: it may be a secret on the wrong line
}

// asError is err as an *Error when err is one, or wraps one without adding
// words; an *Error wrapped with more text is handled as text, so that the
// text is not lost.
func asError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && e.Error() == err.Error() {
		return e, true
	}
	return nil, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// joinPath appends a relative path, which may start with an index.
func joinPath(path, rel string) string {
	if rel == "" {
		return path
	}
	if path == "" || strings.HasPrefix(rel, "[") {
		return path + rel
	}
	return path + "." + rel
}

// resolve follows aliases so that *anchor and &anchor decode alike.
func resolve(n *yaml.Node) *yaml.Node {
	for range 8 { // an alias points at an anchored node, never at an alias; bound it anyway
		if n == nil || n.Kind != yaml.AliasNode || n.Alias == nil {
			break
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") || (n.Kind == 0)
}
