package readiness

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Formats of --output.
var Formats = []string{"text", "json", "junit"}

// Write renders r in format; onlyFailed leaves out the items that pass.
func Write(w io.Writer, r *Report, format string, onlyFailed bool) error {
	if onlyFailed {
		cp := *r
		cp.Items = nil
		for _, it := range r.Items {
			if it.Status != StatusPass {
				cp.Items = append(cp.Items, it)
			}
		}
		r = &cp
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "junit":
		return writeJUnit(w, r)
	default:
		return writeText(w, r)
	}
}

var marks = map[Status]string{StatusPass: "PASS", StatusWarn: "WARN", StatusFail: "FAIL", StatusError: "ERROR", StatusPending: "PENDING"}

// writeText groups items by category (in the runbook's order), failures
// first within each, with the reason and the evidence under each item.
func writeText(w io.Writer, r *Report) error {
	var b strings.Builder
	cat := ""
	for _, it := range r.Items {
		if it.Category != cat {
			if cat != "" {
				b.WriteString("\n")
			}
			cat = it.Category
			fmt.Fprintf(&b, "%s\n", strings.ToUpper(cat[:1])+cat[1:])
		}
		opt := ""
		if !it.Required {
			opt = " (optional)"
		}
		fmt.Fprintf(&b, "  %-7s %s%s [%s, %.2fs]\n", marks[it.Status], it.Name, opt, it.Kind, it.DurationSeconds)
		if it.Reason != "" {
			fmt.Fprintf(&b, "          why: %s\n", it.Reason)
		}
		if it.Evidence != "" {
			fmt.Fprintf(&b, "          saw: %s\n", it.Evidence)
		}
	}
	if len(r.Items) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s (%s)\n", r.Summary(), r.GeneratedAt.Format("2006-01-02T15:04:05Z07:00"))
	_, err := io.WriteString(w, b.String())
	return err
}

// JUnit XML as CI servers read it (Jenkins, GitLab): one testsuite per
// category, a failure element for fail and pending, an error element for
// error, and warnings as passing tests with a system-out line.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      float64     `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, r *Report) error {
	out := junitSuites{Name: "golive readiness"}
	index := map[string]int{}
	for _, it := range r.Items {
		i, ok := index[it.Category]
		if !ok {
			i = len(out.Suites)
			index[it.Category] = i
			out.Suites = append(out.Suites, junitSuite{Name: it.Category, Timestamp: r.GeneratedAt.Format("2006-01-02T15:04:05")})
		}
		s := &out.Suites[i]
		c := junitCase{Name: it.Name, Classname: "readiness." + it.Category + "." + it.Kind, Time: it.DurationSeconds, SystemOut: it.Evidence}
		p := &junitProblem{Message: it.Reason, Type: string(it.Status), Text: it.Evidence}
		switch {
		case !it.Required && !it.Status.OK():
			c.Skipped = p // an optional item never fails the build
			s.Skipped++
		case it.Status == StatusFail || it.Status == StatusPending:
			c.Failure = p
			s.Failures++
		case it.Status == StatusError:
			c.Error = p
			s.Errors++
		case it.Status == StatusWarn:
			c.SystemOut = "WARNING: " + it.Reason + "\n" + it.Evidence
		}
		s.Tests++
		s.Time += it.DurationSeconds
		s.Cases = append(s.Cases, c)
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Time += s.Time
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
