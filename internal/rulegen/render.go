package rulegen

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"text/template"

	"github.com/prometheus/common/helpers/templates"
)

// valueTemplate formats $value in an annotation for each unit.
func valueTemplate(u Unit) string {
	switch u {
	case Ratio:
		return "{{ $value | humanizePercentage }}"
	case Seconds:
		return "{{ $value | humanizeDuration }}"
	default:
		return "{{ $value | humanize }}"
	}
}

// description is the alert's description template for level l.
func (a Alert) description(l Level) string {
	return strings.NewReplacer(
		"<value>", valueTemplate(a.Unit),
		"<threshold>", l.Display,
		"<for>", durationString(a.For),
	).Replace(a.Description)
}

// runbookURL fills the configured pattern with the lower-cased alert name.
func runbookURL(pattern, alert string) string {
	return strings.Replace(pattern, "%s", strings.ToLower(alert), 1)
}

// annotations are the alert rule's annotation templates for level l.
func (c *Catalog) annotations(a Alert, l Level) map[string]string {
	out := map[string]string{
		"summary":     a.Summary,
		"description": a.description(l),
		"runbook_url": runbookURL(c.RunbookURL, a.Name),
		"value":       "{{ $value }}",
	}
	if a.Direction != IsZero {
		out["threshold"] = l.Literal()
	}
	return out
}

// labels are the alert rule's labels for level l.
func (a Alert) labels(l Level) map[string]string {
	return map[string]string{
		"severity": l.Severity.Label(),
		"priority": l.Severity.Priority(),
		"service":  a.Service,
	}
}

// expand renders a rule template the way Prometheus does for alerts
// (rules/alerting.go and template/template.go): the same variables, the
// same missingkey option and the same humanize functions, so the unit tests
// can state the exact annotation text Prometheus will produce.
func expand(text string, labels map[string]string, value float64) (string, error) {
	const prefix = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	tmpl, err := template.New("annotation").Option("missingkey=zero").Funcs(template.FuncMap{
		"humanize":           humanize,
		"humanizePercentage": func(v float64) string { return fmt.Sprintf("%.4g%%", v*100) },
		"humanizeDuration":   templates.HumanizeDuration,
	}).Parse(prefix + text)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", text, err)
	}
	data := struct {
		Labels         map[string]string
		ExternalLabels map[string]string
		ExternalURL    string
		Value          float64
	}{labels, map[string]string{}, "", value}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("template %q: %w", text, err)
	}
	return b.String(), nil
}

// humanize is Prometheus's humanize: 4 significant digits and an SI prefix.
func humanize(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("%.4g", v)
	}
	if math.Abs(v) >= 1 {
		prefix := ""
		for _, p := range []string{"k", "M", "G", "T", "P", "E", "Z", "Y"} {
			if math.Abs(v) < 1000 {
				break
			}
			prefix = p
			v /= 1000
		}
		return fmt.Sprintf("%.4g%s", v, prefix)
	}
	prefix := ""
	for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
		if math.Abs(v) >= 1 {
			break
		}
		prefix = p
		v *= 1000
	}
	return fmt.Sprintf("%.4g%s", v, prefix)
}
