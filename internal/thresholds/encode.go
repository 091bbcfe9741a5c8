package thresholds

import (
	"fmt"
	"io"
	"reflect"

	"gopkg.in/yaml.v3"
)

// header opens every written thresholds file.
const header = `golive thresholds: the one source of the generated Prometheus rules
(rules/*.rules.yml), their unit tests (rules/tests/) and the Grafana
dashboards (dashboards/*.json). Edit this file, or let "golive baseline"
derive it, then run "golive generate" (make generate) and commit the result.

Units are in the key names: *_percent is 0-100, *_seconds, *_days, *_count
and *_rows are plain numbers, *_age and for/window are durations (30s, 5m,
26h, 31d). A level set to null is disabled; a key left out keeps its default.

Comparison convention: alerts fire when a value is strictly beyond its level
(> for higher-is-worse, < for lower-is-worse) for longer than "for". Grafana
colours a step from the step value up (>=), so a higher-is-worse panel turns
red at the level itself, one tick before its alert can fire.

Severity mapping (alert labels severity and priority):
  emergency -> severity="critical", priority="P0" (the runbook's "emergency")
  critical  -> severity="critical", priority="P1"
  warning   -> severity="warning",  priority="P2"
  info      -> severity="info",     priority="P3"
warning_* levels use "warning", critical_* levels use "critical"; binary
conditions (down, failed) name their severity.`

// WriteYAML writes t as a commented thresholds file that Parse reads back to
// an equal value. The output is deterministic.
func (t *Thresholds) WriteYAML(w io.Writer) error {
	body, err := encodeValue(reflect.ValueOf(*t), true)
	if err != nil {
		return err
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: header, Content: []*yaml.Node{body}}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write thresholds: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write thresholds: %w", err)
	}
	return nil
}

func encodeValue(v reflect.Value, top bool) (*yaml.Node, error) {
	if !isSection(v.Type()) {
		n := &yaml.Node{}
		if err := n.Encode(v.Interface()); err != nil {
			return nil, fmt.Errorf("encode %s: %w", v.Type(), err)
		}
		return n, nil
	}
	names, fields := fieldsOf(v.Type())
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, name := range names {
		f := fields[name]
		value, err := encodeValue(v.FieldByIndex(f.index), false)
		if err != nil {
			return nil, err
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: name, HeadComment: f.doc}
		if top && len(m.Content) > 0 {
			// A blank line before each top-level section keeps the file readable.
			key.HeadComment = "\n" + key.HeadComment
		}
		m.Content = append(m.Content, key, value)
	}
	return m, nil
}
