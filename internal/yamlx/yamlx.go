// Package yamlx decodes YAML strictly, including inside custom unmarshalers.
//
// yaml.v3's Decoder.KnownFields(true) does not reach types that implement
// UnmarshalYAML and call value.Decode: the node decoder they get is lenient,
// so a typo in a nested section would be silently ignored. DecodeStrict
// closes that gap, and keeps line numbers pointing into the original file.
package yamlx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// DecodeStrict decodes node into out, rejecting unknown fields. Use it in
// UnmarshalYAML instead of value.Decode:
//
//	type plain Config
//	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil { return err }
func DecodeStrict(node *yaml.Node, out any) error {
	// Re-encoding the node and decoding it with a strict decoder is the only
	// public way to get KnownFields for a sub-tree.
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(detach(node, 0)); err != nil {
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	err := dec.Decode(out)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return shiftLines(err, node.Line-1)
}

// notFound is yaml.v3's unknown-key message, which names our Go types.
var notFound = regexp.MustCompile(`field (\S+) not found in type \S+`)

// friendly words yaml.v3's unknown-key message the way users read it:
// `unknown field "pasword"` instead of naming an internal Go type.
func friendly(msg string) string {
	return notFound.ReplaceAllString(msg, `unknown field "$1"`)
}

// detach copies node with every alias replaced by what it points at and no
// anchors, so the copy decodes on its own even when it refers to an anchor
// defined elsewhere in the file (a common way to share settings).
func detach(n *yaml.Node, depth int) *yaml.Node {
	if depth > 100 {
		return n // alias cycles are rejected by the decoder anyway
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c := *n
	c.Anchor = ""
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, child := range n.Content {
			c.Content[i] = detach(child, depth+1)
		}
	}
	return &c
}

// Strict decodes a whole document from r into out, rejecting unknown fields
// and trailing documents.
func Strict(r io.Reader, out any) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty document")
		}
		return shiftLines(err, 0)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("only one YAML document is allowed")
	}
	return nil
}

// shiftLines rewrites "line N:" in a re-decoded sub-tree's error to the line
// in the enclosing document. Nested strict decodes each add their own
// offset, so lines compose back to the original file.
func shiftLines(err error, offset int) error {
	if err == nil {
		return err
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			out[i] = friendly(shiftLine(e, offset))
		}
		return &yaml.TypeError{Errors: out}
	}
	if s := err.Error(); strings.HasPrefix(s, "yaml: line ") {
		return &shifted{msg: "yaml: " + shiftLine(strings.TrimPrefix(s, "yaml: "), offset), err: err}
	}
	return err
}

type shifted struct {
	msg string
	err error
}

func (s *shifted) Error() string { return s.msg }
func (s *shifted) Unwrap() error { return s.err }

func shiftLine(msg string, offset int) string {
	var n int
	if _, err := fmt.Sscanf(msg, "line %d:", &n); err != nil {
		return msg
	}
	prefix := fmt.Sprintf("line %d:", n)
	return fmt.Sprintf("line %d:", n+offset) + strings.TrimPrefix(msg, prefix)
}
