// Package generate is the "golive generate" subcommand: it reads the
// thresholds file and writes the rule files, their promtool unit tests and
// the Grafana dashboards, or with --check reports which would change.
package generate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/dashgen"
	"github.com/golive-ops/golive/internal/rulegen"
	"github.com/golive-ops/golive/internal/thresholds"
)

// Options are the command's flags.
type Options struct {
	Thresholds    string
	RulesDir      string
	DashboardsDir string
	// DocsDir receives runbooks.md, which the alerts' runbook_url points at.
	DocsDir string
	Check   bool
}

// Command runs "golive generate".
func Command(ctx context.Context, env cli.Env) int {
	var o Options
	app := cli.NewApp(env, "generate", "Generate rule files, their promtool unit tests, runbooks and Grafana dashboards from the thresholds file.")
	app.Flag("thresholds", "Thresholds file.").Default("rules/thresholds.yml").StringVar(&o.Thresholds)
	app.Flag("rules.dir", "Directory of the generated rule files (their tests go to tests/ inside it).").Default("rules").StringVar(&o.RulesDir)
	app.Flag("docs.dir", "Directory of the generated alert runbooks (runbooks.md).").Default("docs").StringVar(&o.DocsDir)
	app.Flag("dashboards.dir", "Directory of the generated dashboards.").Default("dashboards").StringVar(&o.DashboardsDir)
	app.Flag("check", "Write nothing; list the files that would change and exit 1 if any.").BoolVar(&o.Check)
	if _, code, done := app.Parse(); done {
		return code
	}
	changed, err := Run(ctx, o)
	if err != nil {
		return app.Fail(err)
	}
	for _, p := range changed {
		fmt.Fprintln(env.Stdout, p)
	}
	if o.Check && len(changed) > 0 {
		fmt.Fprintln(env.Stderr, `golive generate: generated files are out of date; run "golive generate" (make generate)`)
		return 1
	}
	return 0
}

// Run generates every file and returns the paths whose content differs from
// what is on disk. It writes them unless o.Check is set.
func Run(ctx context.Context, o Options) ([]string, error) {
	t, err := thresholds.Load(o.Thresholds)
	if err != nil {
		return nil, err
	}
	files, err := Files(t, o)
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var changed []string
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return changed, err
		}
		old, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return changed, fmt.Errorf("read %s: %w", p, err)
		}
		if err == nil && bytes.Equal(old, files[p]) {
			continue
		}
		changed = append(changed, p)
		if o.Check {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return changed, fmt.Errorf("create %s: %w", filepath.Dir(p), err)
		}
		if err := os.WriteFile(p, files[p], 0o644); err != nil {
			return changed, fmt.Errorf("write %s: %w", p, err)
		}
	}
	return changed, nil
}

// Files returns every generated file keyed by its path under o's directories.
func Files(t *thresholds.Thresholds, o Options) (map[string][]byte, error) {
	rules, err := rulegen.Generate(t)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	dashboards, err := dashgen.Generate(t)
	if err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	out := make(map[string][]byte, len(rules)+len(dashboards))
	for name, data := range rules {
		out[filepath.Join(o.RulesDir, filepath.FromSlash(name))] = data
	}
	for name, data := range dashboards {
		out[filepath.Join(o.DashboardsDir, name)] = data
	}
	runbooks, err := rulegen.Runbooks(t)
	if err != nil {
		return nil, fmt.Errorf("runbooks: %w", err)
	}
	out[filepath.Join(o.DocsDir, "runbooks.md")] = runbooks
	return out, nil
}
