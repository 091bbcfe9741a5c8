package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/testenv"
	"github.com/golive-ops/golive/internal/thresholds"
)

// Paths of the shipped configs, relative to the repository root.
const (
	prometheusConfig   = "deploy/prometheus/prometheus.yml"
	alertmanagerConfig = "deploy/alertmanager/alertmanager.yml"
	thresholdsFile     = "rules/thresholds.yml"
)

// readYAML parses a file into a node tree (comments and order kept).
func readYAML(t *testing.T, path string) *yaml.Node {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(doc.Content) != 1 {
		t.Fatalf("%s: want one YAML document", path)
	}
	return doc.Content[0]
}

func writeYAML(t *testing.T, path string, n *yaml.Node) string {
	t.Helper()
	b, err := yaml.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, b)
}

// runTool runs a checker and fails the test with its output if it fails.
func runTool(t *testing.T, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
	}
	t.Logf("%s: %s", filepath.Base(bin), out)
}

func TestPrometheusConfigIsValid(t *testing.T) {
	promtool := testenv.Tool(t, "PROMTOOL", "promtool")
	root := mustRepoRoot(t)
	generatedRuleFiles(t) // the glob below must load real rules, not nothing

	cfg := readYAML(t, filepath.Join(root, prometheusConfig))
	ruleFiles := mapValue(cfg, "rule_files")
	if ruleFiles == nil || len(ruleFiles.Content) == 0 {
		t.Fatalf("%s: no rule_files: the generated rules would never load", prometheusConfig)
	}
	// The shipped path is where the rules are installed (/etc/golive/rules);
	// promtool checks the repository's generated files in its place.
	ruleFiles.Content = ruleFiles.Content[:1]
	ruleFiles.Content[0].Value = filepath.Join(root, "rules", "*.rules.yml")
	ruleFiles.Content[0].LineComment = ""
	path := writeYAML(t, filepath.Join(t.TempDir(), "prometheus.yml"), cfg)

	runTool(t, promtool, "check", "config", path)
}

func TestAlertmanagerConfigIsValid(t *testing.T) {
	amtool := testenv.Tool(t, "AMTOOL", "amtool")
	// The shipped file as it is: it names no files to swap.
	runTool(t, amtool, "check-config", filepath.Join(mustRepoRoot(t), alertmanagerConfig))
}

// TestPrometheusJobsMatchThresholds guards the one coupling promtool cannot
// see: the generated rules select metrics by job regular expressions from
// the thresholds file, so a scrape job they do not match is silently never
// alerted on.
func TestPrometheusJobsMatchThresholds(t *testing.T) {
	root := mustRepoRoot(t)
	th := thresholds.Default()
	if _, err := os.Stat(filepath.Join(root, thresholdsFile)); err == nil {
		var err error
		if th, err = thresholds.Load(filepath.Join(root, thresholdsFile)); err != nil {
			t.Fatal(err)
		}
	}
	sources := map[string]string{
		"host": th.Jobs.Host, "application": th.Jobs.Application, "postgres": th.Jobs.Postgres,
		"redis": th.Jobs.Redis, "probes": th.Jobs.Probes, "exporter": th.Jobs.Exporter,
	}
	// Jobs the generated rules do not cover on purpose: Prometheus,
	// Alertmanager and the receiver are watched by their own `up` only.
	notASource := map[string]bool{"prometheus": true, "alertmanager": true, "golive-receiver": true}

	var cfg struct {
		ScrapeConfigs []struct {
			JobName     string              `yaml:"job_name"`
			MetricsPath string              `yaml:"metrics_path"`
			Params      map[string][]string `yaml:"params"`
		} `yaml:"scrape_configs"`
	}
	b, err := os.ReadFile(filepath.Join(root, prometheusConfig))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, sc := range cfg.ScrapeConfigs {
		if notASource[sc.JobName] {
			continue
		}
		// The exporter's /metrics carries every source; a /probe job one
		// kind of metric, by its module's prober.
		want := []string{"host", "postgres", "redis", "probes", "exporter"}
		if sc.MetricsPath == "/probe" {
			want = []string{"probes"}
			for _, m := range sc.Params["module"] {
				if m == "postgres" || m == "redis" {
					want = []string{m}
				}
			}
		}
		for _, source := range want {
			re := regexp.MustCompile("^(?:" + sources[source] + ")$")
			if !re.MatchString(sc.JobName) {
				t.Errorf("%s: job %q is not matched by jobs.%s %q: its %s alerts would never fire",
					prometheusConfig, sc.JobName, source, sources[source], source)
			}
		}
	}
}
