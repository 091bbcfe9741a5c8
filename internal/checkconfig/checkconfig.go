// Package checkconfig is `golive check-config`: one command that checks
// every kind of file golive reads, each through the same path its own
// command uses at start, so a file that passes here also starts. Like
// promtool it takes the files as arguments; the kind of each comes from its
// keys, or from a prefix (exporter:FILE) when the keys do not tell.
package checkconfig

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/exporter"
	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/readiness"
	"github.com/golive-ops/golive/internal/rollout"
	"github.com/golive-ops/golive/internal/thresholds"
	"github.com/golive-ops/golive/receiver"
)

// Kinds of file check-config knows.
const (
	kindExporter   = "exporter"
	kindReceiver   = "receiver"
	kindThresholds = "thresholds"
	kindPlan       = "plan"
	kindReadiness  = "readiness"
)

var kinds = []string{kindExporter, kindReceiver, kindThresholds, kindPlan, kindReadiness}

// Command runs `golive check-config`.
func Command(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "check-config", "Check exporter, receiver, thresholds, rollout plan and readiness files, each as its command would at start.\n\n"+
		"The kind of each FILE comes from its keys; prefix it (exporter:FILE, receiver:FILE, thresholds:FILE, plan:FILE, readiness:FILE) to say it.")
	var exporters, receivers, thresholdFiles []string
	app.Flag("exporter", "An exporter config to check (repeatable; same as exporter:FILE).").PlaceHolder("FILE").StringsVar(&exporters)
	app.Flag("receiver", "A receiver config to check, secrets and notification channels included (repeatable).").PlaceHolder("FILE").StringsVar(&receivers)
	app.Flag("thresholds", "A thresholds file to check (repeatable).").PlaceHolder("FILE").StringsVar(&thresholdFiles)
	var args []string
	app.Arg("file", "Files to check, each FILE or KIND:FILE (KIND: exporter, receiver, thresholds, plan, readiness).").StringsVar(&args)
	if _, code, done := app.Parse(); done {
		return code
	}
	type job struct{ kind, file, why string }
	var jobs []job
	for _, f := range exporters {
		jobs = append(jobs, job{kindExporter, f, "--exporter"})
	}
	for _, f := range receivers {
		jobs = append(jobs, job{kindReceiver, f, "--receiver"})
	}
	for _, f := range thresholdFiles {
		jobs = append(jobs, job{kindThresholds, f, "--thresholds"})
	}
	for _, a := range args {
		if kind, file, ok := strings.Cut(a, ":"); ok && contains(kinds, kind) {
			jobs = append(jobs, job{kind, file, "named " + kind + ":"})
			continue
		}
		jobs = append(jobs, job{"", a, ""})
	}
	if len(jobs) == 0 {
		return app.Usage(fmt.Errorf("no file to check: give FILE... (or --exporter, --receiver, --thresholds)"))
	}
	failed := 0
	for _, j := range jobs {
		if j.kind == "" {
			kind, err := detect(j.file)
			if err != nil {
				fmt.Fprintf(env.Stderr, "Checking %s\n  FAILED: %v\n", j.file, err)
				failed++
				continue
			}
			j.kind, j.why = kind, "from its keys"
		}
		fmt.Fprintf(env.Stdout, "Checking %s (%s config, %s)\n", j.file, j.kind, j.why)
		if err := check(ctx, j.kind, j.file, env); err != nil {
			fmt.Fprintf(env.Stderr, "  FAILED: %s\n", indent(err.Error()))
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(env.Stderr, "%d of %d files failed\n", failed, len(jobs))
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// check runs kind's own start-up checks on file and prints what passed.
func check(ctx context.Context, kind, file string, env cli.Env) error {
	if kind == kindPlan {
		p, err := rollout.Load(file)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "  SUCCESS: rollout plan %q parsed and validated (%d steps; the receiver checks the gate and the load balancer when it is started)\n", p.Name, len(p.Steps()))
		return nil
	}
	if kind == kindReadiness {
		c, err := readiness.Load(file)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "  SUCCESS: readiness checklist with %d items (%d signed off by people); every module, server and endpoint resolved\n", len(c.Items), len(c.Manual()))
		return nil
	}
	if kind == kindThresholds {
		if _, err := thresholds.Load(file); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "  SUCCESS: thresholds parsed and validated (every value in range, every job pattern a valid regular expression)")
		return nil
	}
	run := exporter.Command
	if kind == kindReceiver {
		run = receiver.Command
	}
	var out, errb bytes.Buffer
	code := run(ctx, cli.Env{Args: []string{"--config.file", file, "--config.check"}, Stdout: &out, Stderr: &errb})
	if code != 0 {
		return fmt.Errorf("%s", strings.TrimSpace(strings.TrimPrefix(errb.String(), "golive "+kind+": ")))
	}
	fmt.Fprintf(env.Stdout, "  SUCCESS: %s\n", strings.TrimSpace(strings.TrimPrefix(out.String(), "OK: ")))
	return nil
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Top-level keys only one kind of file has.
var (
	receiverKeys   = []string{"external_url", "storage", "webhook", "auth", "incidents", "grading", "sla", "oncall", "notify"}
	exporterKeys   = []string{"global", "modules"}
	thresholdsKeys = []string{"runbook_url", "jobs", "application", "exporter"}
	// A rollout plan (golive rollout start --plan) also has notify, a list
	// of channel names, where the receiver has a mapping.
	planKeys = []string{"gate", "traffic", "stages", "users", "batches", "poll"}
	// Both the exporter and thresholds have these: the exporter lists
	// instances (a sequence), thresholds set limits (a mapping).
	sharedKeys = []string{"postgres", "redis", "probes", "backups", "sql_checks", "services", "host"}
)

// detect tells the kind of file from its top-level keys.
func detect(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%w (name its kind to see the full check: exporter:%s, receiver:%s or thresholds:%s)", err, path, path, path)
	}
	votes := map[string]bool{}
	if len(doc.Content) > 0 && doc.Content[0].Kind == yaml.MappingNode {
		root := doc.Content[0]
		// Only a readiness checklist has items (its modules would vote
		// exporter).
		for i := 0; i < len(root.Content); i += 2 {
			if root.Content[i].Value == "items" {
				return kindReadiness, nil
			}
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			key, value := root.Content[i].Value, root.Content[i+1]
			switch {
			case key == "notify" && value.Kind == yaml.SequenceNode:
				votes[kindPlan] = true
			case contains(planKeys, key):
				votes[kindPlan] = true
			case contains(receiverKeys, key):
				votes[kindReceiver] = true
			case contains(exporterKeys, key):
				votes[kindExporter] = true
			case contains(thresholdsKeys, key):
				votes[kindThresholds] = true
			case contains(sharedKeys, key):
				if k := sharedKind(key, value); k != "" {
					votes[k] = true
				}
			}
		}
	}
	if len(votes) == 1 {
		for k := range votes {
			return k, nil
		}
	}
	return "", fmt.Errorf("cannot tell what kind of file this is from its keys: name it exporter:%s, receiver:%s, thresholds:%s, plan:%s or readiness:%s", path, path, path, path, path)
}

// sharedKind tells exporter from thresholds by a shared key's value.
func sharedKind(key string, v *yaml.Node) string {
	switch {
	case v.Kind == yaml.SequenceNode:
		return kindExporter
	case v.Kind != yaml.MappingNode:
		return ""
	case key == "host" || key == "services":
		for i := 0; i < len(v.Content); i += 2 {
			switch v.Content[i].Value {
			case "cpu", "memory", "disk", "down", "failed":
				return kindThresholds
			case "enabled", "collectors", "paths", "filesystem", "diskstats", "netdev", "services", "backend":
				return kindExporter
			}
		}
	}
	return ""
}
