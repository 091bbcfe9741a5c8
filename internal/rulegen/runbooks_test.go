package rulegen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/thresholds"
)

// githubAnchor is how GitHub turns a heading into a fragment.
func githubAnchor(heading string) string {
	s := strings.ToLower(heading)
	s = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(s, "")
	return strings.ReplaceAll(s, " ", "-")
}

func TestEveryRunbookURLLandsOnASection(t *testing.T) {
	th := thresholds.Default()
	doc, err := Runbooks(th)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (.+)$`).FindAllStringSubmatch(string(doc), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	c, err := NewCatalog(th)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, a := range c.Alerts {
		names[a.Name] = true
		url := runbookURL(c.RunbookURL, a.Name)
		_, frag, ok := strings.Cut(url, "#")
		if !ok || !anchors[frag] {
			t.Errorf("%s: runbook_url %s has no section in docs/runbooks.md", a.Name, url)
		}
		for _, l := range a.Levels {
			if !strings.Contains(string(doc), a.Expr(l)) && !strings.Contains(string(doc), strings.ReplaceAll(a.Expr(l), "|", `\|`)) {
				t.Errorf("%s: the runbook lacks the expression %s", a.Name, a.Expr(l))
			}
		}
	}
	for name := range firstChecks {
		if !names[name] {
			t.Errorf("firstChecks has %s, which is not an alert", name)
		}
	}
}
