package client

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/api"
	"github.com/golive-ops/golive/receiver/store"
)

// timeFormat shows times in the local zone with the zone named, so a
// reader in another zone (or a pasted terminal) is never misled.
const timeFormat = "2006-01-02 15:04:05 MST"

// printer writes in one of amtool's output formats: simple, extended, json.
type printer struct {
	w      io.Writer
	output string
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(timeFormat)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (p printer) list(incs []store.Incident) int {
	if p.output == "json" {
		return p.json(incs)
	}
	tw := tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
	if p.output == "extended" {
		fmt.Fprintln(tw, "ID\tPRIORITY\tSTATE\tTITLE\tSERVICE\tASSIGNEE\tOPENED\tRESPONSE DUE\tRESOLUTION DUE\tLABELS")
	} else {
		fmt.Fprintln(tw, "ID\tPRIORITY\tSTATE\tTITLE\tSERVICE\tASSIGNEE\tOPENED")
	}
	for _, inc := range incs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s", inc.ID, inc.Priority, inc.State, inc.Title, orDash(inc.Service),
			orDash(inc.Assignee), when(inc.OpenedAt))
		if p.output == "extended" {
			fmt.Fprintf(tw, "\t%s\t%s\t%s", when(inc.ResponseDue), when(inc.ResolutionDue), labels(inc.Labels))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	return cli.ExitOK
}

// labels renders a label set as PromQL does: {a="1", b="2"}.
func labels(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, m[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// gradeReason says which rule graded the incident and what it read.
func gradeReason(r store.GradeReason) string {
	s := r.Rule
	if len(r.Matched) > 0 {
		parts := make([]string, 0, len(r.Matched))
		for _, k := range slices.Sorted(maps.Keys(r.Matched)) {
			parts = append(parts, k+"="+r.Matched[k])
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if r.Value != nil {
		s += fmt.Sprintf(", value %g", *r.Value)
	}
	return s
}

func (p printer) detail(d api.Detail) int {
	if p.output == "json" {
		return p.json(d)
	}
	w := p.w
	inc := d.Incident
	fmt.Fprintf(w, "#%d %s %s [%s]\n", inc.ID, inc.Priority, inc.Title, inc.State)
	fmt.Fprintf(w, "  service:    %s\n  assignee:   %s\n  graded by:  %s\n", orDash(inc.Service), orDash(inc.Assignee), gradeReason(inc.GradeReason))
	fmt.Fprintf(w, "  opened:     %s\n  response:   due %s\n  resolution: due %s\n", when(inc.OpenedAt), when(inc.ResponseDue), when(inc.ResolutionDue))
	if p.output == "extended" {
		fmt.Fprintf(w, "  group:      %s\n  labels:     %s\n  cycle:      %d\n", inc.GroupKey, labels(inc.Labels), inc.Cycle)
	}
	p.alerts(d.Occurrences)
	fmt.Fprintln(w, "timeline:")
	for _, e := range d.Timeline {
		line := fmt.Sprintf("  %s  %-20s %-10s", when(e.At), e.Kind, e.Actor)
		if e.From != "" || e.To != "" {
			line += fmt.Sprintf(" %s→%s", orDash(e.From), orDash(e.To))
		}
		if e.Note != "" {
			line += " " + e.Note
		}
		if p.output == "extended" && len(e.Data) > 0 {
			line += " " + data(e.Data)
		}
		fmt.Fprintln(w, line)
	}
	return cli.ExitOK
}

// alerts prints each alert of the incident with what its rule says about
// it: summary, description and runbook.
func (p printer) alerts(occs []store.Occurrence) {
	if len(occs) == 0 {
		return
	}
	fmt.Fprintln(p.w, "alerts:")
	for _, o := range occs {
		state := "firing"
		if !o.Firing() {
			state = "resolved " + when(o.EndsAt)
		}
		fmt.Fprintf(p.w, "  %s [%s] since %s\n", o.AlertName, state, when(o.StartsAt))
		for _, a := range []struct{ key, label string }{
			{"summary", "summary"}, {"description", "description"}, {"runbook_url", "runbook"},
		} {
			if v := strings.TrimSpace(o.Annotations[a.key]); v != "" {
				fmt.Fprintf(p.w, "    %-12s %s\n", a.label+":", strings.ReplaceAll(v, "\n", "\n                 "))
			}
		}
		if p.output == "extended" {
			fmt.Fprintf(p.w, "    %-12s %s\n", "labels:", labels(o.Labels))
			if o.GeneratorURL != "" {
				fmt.Fprintf(p.w, "    %-12s %s\n", "source:", o.GeneratorURL)
			}
		}
	}
}

// data renders an event's structured data as sorted key=value pairs.
func data(m map[string]any) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v, err := json.Marshal(m[k])
		if err != nil {
			v = []byte("?")
		}
		parts = append(parts, k+"="+string(v))
	}
	return strings.Join(parts, " ")
}

func (p printer) json(v any) int {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return cli.ExitFailure
	}
	return cli.ExitOK
}
