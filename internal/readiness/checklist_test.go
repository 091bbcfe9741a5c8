package readiness

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/dashgen"
	"github.com/golive-ops/golive/internal/rulegen"
	"github.com/golive-ops/golive/internal/thresholds"
)

// Each invalid checklist fails with a message naming the line and field.
func TestInvalidChecklists(t *testing.T) {
	for file, want := range map[string]string{
		"invalid-unknown-key.yml":    `line 5: items[0]: unknown field "requird" (an item has name, category, description, required, timeout and one kind:`,
		"invalid-unknown-module.yml": `line 5: items[0].probe.module: "http_3xx" is not a module of the checklist or the exporter config (have: http_2xx)`,
		"invalid-unknown-server.yml": `line 4: items[0].postgres.server: "replica" is not a postgres server of the exporter config (have: primary)`,
		"invalid-expiry.yml":         `line 5: items[0].manual.valid_for: "3 months" is not a positive duration`,
		"invalid-two-kinds.yml":      `line 5: items[0].postgres: an item has one kind, and this one is already redis (line 4)`,
		"invalid-no-prometheus.yml":  `items[0].prometheus_targets: this kind needs the checklist's prometheus section (url)`,
		"invalid-top-key.yml":        `line 2: unknown field "itmes"`,
		"invalid-section-field.yml":  `line 6: items[0].postgres`,
		"invalid-module-field.yml":   `modules.web`,
		"invalid-duplicate-name.yml": `line 5: items[1].name: "db" is also the name of items[0]`,
		"invalid-prometheus-url.yml": `line 2: prometheus.url: "127.0.0.1:9090" is not a URL`,
	} {
		t.Run(file, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", file))
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, want)
			}
		})
	}
}

// The decoders' own wording may change (internal/yamlx); the field must be
// named whatever it says.
func TestNestedErrorsNameTheField(t *testing.T) {
	for file, words := range map[string][]string{
		"invalid-section-field.yml": {"max_lag", "unknown field"},
		"invalid-module-field.yml":  {"timeout"},
	} {
		_, err := Load(filepath.Join("testdata", file))
		for _, w := range words {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want %q in it", file, err, w)
			}
		}
	}
}

func TestExpiryErrorNamesTheValue(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid-expiry.yml"))
	if err == nil || !strings.Contains(err.Error(), `"3 months"`) || !strings.Contains(err.Error(), "line 5") {
		t.Errorf("error %v: want line 5 and the value that does not parse", err)
	}
}

// The shipped checklist loads, holds the runbook's lists, and every item
// names what it checks.
func TestExampleChecklist(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "deploy", "examples", "readiness.yml"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	cats := map[string]int{}
	for _, it := range c.Items {
		kinds[it.Kind] = true
		cats[it.Category]++
	}
	for _, k := range []string{"probe", "postgres", "redis", "services", "prometheus_targets", "prometheus_rules",
		"alertmanager", "receiver", "notification_channels", "grafana_dashboards", "manual"} {
		if !kinds[k] {
			t.Errorf("the example checklist has no %s item", k)
		}
	}
	for _, cat := range Categories {
		if cats[cat] == 0 {
			t.Errorf("the example checklist has no %s item", cat)
		}
	}
	for _, name := range []string{"training-done", "runbooks-published", "oncall-rota-staffed", "vendor-contacts"} {
		it, ok := c.Item(name)
		if !ok || it.Kind != "manual" || it.Category != "business" || it.ValidFor() <= 0 {
			t.Errorf("R1.2 item %s: %+v", name, it)
		}
	}
	// The rule groups it expects are the generated ones.
	rules := c.itemCheck(t, "alert-rules-loaded").(*promRulesCheck)
	files, _ := filepath.Glob(filepath.Join("..", "..", "rules", "*.rules.yml"))
	if len(rules.groups) != len(files) || len(files) == 0 {
		t.Errorf("groups %v from %d rule files", rules.groups, len(files))
	}
	// The dashboards it expects are the ones the generator makes.
	dash := c.itemCheck(t, "dashboards-present").(*dashboardsCheck)
	th, err := thresholds.Load(filepath.Join("..", "..", "rules", "thresholds.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rulegen.NewCatalog(th)
	if err != nil {
		t.Fatal(err)
	}
	var generated []string
	for _, d := range dashgen.Dashboards(th, cat) {
		generated = append(generated, d.UID)
	}
	slices.Sort(generated)
	if !slices.Equal(dash.uids, generated) {
		t.Errorf("the checklist expects dashboards %v, the generator makes %v", dash.uids, generated)
	}
}

func (c *Checklist) itemCheck(t *testing.T, name string) check {
	t.Helper()
	it, ok := c.Item(name)
	if !ok {
		t.Fatalf("no item %s", name)
	}
	return it.check
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yml"))
	files = append(files, filepath.Join("..", "..", "deploy", "examples", "readiness.yml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "testdata")
		if err == nil && len(c.Items) == 0 {
			t.Fatal("a checklist without items parsed")
		}
	})
}
