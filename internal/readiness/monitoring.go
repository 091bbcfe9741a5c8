package readiness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/yamlx"
)

// Monitoring the monitoring: Prometheus scrapes and evaluates what golive
// generated, Alertmanager routes to the receiver, Grafana shows the
// dashboards. Each asks the server's own HTTP API.

type promTargetsSection struct {
	// Jobs that must have every target up (empty: every job Prometheus
	// scrapes, which must then be at least one).
	Jobs []string `yaml:"jobs,omitempty"`
}

type promTargetsCheck struct{ jobs []string }

func buildPromTargets(section *yaml.Node, b *buildContext) (check, error) {
	var s promTargetsSection
	if err := decodeOptional(section, &s); err != nil {
		return nil, err
	}
	if b.checklist.Prometheus == nil {
		return nil, needServer("prometheus")
	}
	return &promTargetsCheck{jobs: s.Jobs}, nil
}

// decodeOptional decodes a section that may be left empty (`kind: {}` or
// `kind:`).
func decodeOptional(section *yaml.Node, out any) error {
	if section.Kind == yaml.ScalarNode && section.Tag == "!!null" {
		return nil
	}
	return yamlx.DecodeStrict(section, out)
}

func (p *promTargetsCheck) run(ctx context.Context, env *Env) outcome {
	var resp struct {
		Data struct {
			ActiveTargets []struct {
				ScrapePool string            `json:"scrapePool"`
				Labels     map[string]string `json:"labels"`
				Health     string            `json:"health"`
				LastError  string            `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := env.prometheus.do(ctx, "GET", "/api/v1/targets?state=active", nil, &resp); err != nil {
		return errored(err.Error())
	}
	type job struct{ up, total int }
	jobs := map[string]*job{}
	var down []string
	for _, t := range resp.Data.ActiveTargets {
		name := t.Labels["job"]
		if name == "" {
			name = t.ScrapePool
		}
		if len(p.jobs) > 0 && !slices.Contains(p.jobs, name) {
			continue
		}
		j := jobs[name]
		if j == nil {
			j = &job{}
			jobs[name] = j
		}
		j.total++
		if t.Health == "up" {
			j.up++
			continue
		}
		why := t.Health
		if t.LastError != "" {
			why = t.LastError
		}
		down = append(down, fmt.Sprintf("%s/%s (%s)", name, t.Labels["instance"], why))
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range jobs {
			if !yield(n) {
				return
			}
		}
	})
	var ev []string
	for _, n := range names {
		ev = append(ev, fmt.Sprintf("%s %d/%d up", n, jobs[n].up, jobs[n].total))
	}
	var missing []string
	for _, n := range p.jobs {
		if jobs[n] == nil {
			missing = append(missing, n)
		}
	}
	evidence := orNone(ev)
	switch {
	case len(missing) > 0:
		return fail("Prometheus has no targets for job "+strings.Join(missing, ", "), evidence)
	case len(jobs) == 0:
		return fail("Prometheus scrapes no targets", evidence)
	case len(down) > 0:
		return fail("targets down: "+strings.Join(down, "; "), evidence)
	}
	return pass(evidence)
}

type promRulesSection struct {
	// Groups that must be loaded.
	Groups []string `yaml:"groups,omitempty"`
	// Files are rule files (globs, relative to the checklist) whose groups
	// must be loaded: the generated rules/*.rules.yml.
	Files []string `yaml:"files,omitempty"`
}

type promRulesCheck struct{ groups []string }

func buildPromRules(section *yaml.Node, b *buildContext) (check, error) {
	var s promRulesSection
	if err := yamlx.DecodeStrict(section, &s); err != nil {
		return nil, err
	}
	if b.checklist.Prometheus == nil {
		return nil, needServer("prometheus")
	}
	groups := slices.Clone(s.Groups)
	for i, pattern := range s.Files {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(b.dir, pattern)
		}
		files, err := filepath.Glob(pattern)
		if err != nil {
			return nil, fieldError(section, fmt.Sprintf("files[%d]", i), "%v", err)
		}
		if len(files) == 0 {
			return nil, fieldError(section, fmt.Sprintf("files[%d]", i), "%s matches no file", pattern)
		}
		for _, f := range files {
			names, err := ruleGroups(f)
			if err != nil {
				return nil, fieldError(section, fmt.Sprintf("files[%d]", i), "%v", err)
			}
			groups = append(groups, names...)
		}
	}
	if len(groups) == 0 {
		return nil, fieldError(section, "groups", "name the rule groups, or files to read them from")
	}
	slices.Sort(groups)
	return &promRulesCheck{groups: slices.Compact(groups)}, nil
}

// ruleGroups reads the group names of a Prometheus rule file.
func ruleGroups(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Groups []struct {
			Name string `yaml:"name"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []string
	for _, g := range f.Groups {
		out = append(out, g.Name)
	}
	return out, nil
}

func (p *promRulesCheck) run(ctx context.Context, env *Env) outcome {
	var resp struct {
		Data struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := env.prometheus.do(ctx, "GET", "/api/v1/rules", nil, &resp); err != nil {
		return errored(err.Error())
	}
	loaded := map[string]int{}
	var broken []string
	for _, g := range resp.Data.Groups {
		if !slices.Contains(p.groups, g.Name) {
			continue
		}
		loaded[g.Name] = len(g.Rules)
		for _, r := range g.Rules {
			if r.Health == "err" {
				broken = append(broken, fmt.Sprintf("%s/%s: %s", g.Name, r.Name, r.LastError))
			}
		}
	}
	var missing []string
	rules := 0
	for _, g := range p.groups {
		n, ok := loaded[g]
		if !ok {
			missing = append(missing, g)
		}
		rules += n
	}
	ev := fmt.Sprintf("%d of %d groups loaded (%d rules)", len(loaded), len(p.groups), rules)
	switch {
	case len(missing) > 0:
		return fail("rule groups not loaded: "+strings.Join(missing, ", "), ev)
	case len(broken) > 0:
		return fail("rules failing to evaluate: "+strings.Join(broken, "; "), ev)
	}
	return pass(ev)
}

type alertmanagerSection struct {
	// WebhookURL is the receiver's webhook as Alertmanager should call it
	// (default: the checklist's receiver url + /api/v1/alertmanager).
	WebhookURL string `yaml:"webhook_url,omitempty"`
	// Receiver is the Alertmanager receiver expected to carry the webhook,
	// used when Alertmanager hides webhook URLs as secrets (default golive).
	Receiver string `yaml:"receiver,omitempty"`
}

type alertmanagerCheck struct{ webhook, receiver string }

func buildAlertmanager(section *yaml.Node, b *buildContext) (check, error) {
	var s alertmanagerSection
	if err := decodeOptional(section, &s); err != nil {
		return nil, err
	}
	if b.checklist.Alertmanager == nil {
		return nil, needServer("alertmanager")
	}
	if s.WebhookURL == "" {
		if b.checklist.Receiver == nil {
			return nil, fieldError(section, "webhook_url", "must be set when the checklist has no receiver section")
		}
		s.WebhookURL = b.checklist.Receiver.URL + "/api/v1/alertmanager"
	}
	if _, err := parseHTTPURL(s.WebhookURL); err != nil {
		return nil, fieldError(section, "webhook_url", "%v", err)
	}
	if s.Receiver == "" {
		s.Receiver = "golive"
	}
	return &alertmanagerCheck{webhook: s.WebhookURL, receiver: s.Receiver}, nil
}

// amRoute is the part of Alertmanager's config that says who gets alerts.
type amRoute struct {
	Receiver string    `yaml:"receiver"`
	Routes   []amRoute `yaml:"routes"`
}

type amConfig struct {
	Route     amRoute `yaml:"route"`
	Receivers []struct {
		Name           string `yaml:"name"`
		WebhookConfigs []struct {
			URL string `yaml:"url"`
		} `yaml:"webhook_configs"`
	} `yaml:"receivers"`
}

func (r amRoute) uses(name string) bool {
	if r.Receiver == name {
		return true
	}
	for _, sub := range r.Routes {
		if sub.uses(name) {
			return true
		}
	}
	return false
}

func sameURL(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return false
	}
	return ua.Scheme == ub.Scheme && ua.Host == ub.Host && strings.TrimRight(ua.Path, "/") == strings.TrimRight(ub.Path, "/")
}

func (a *alertmanagerCheck) run(ctx context.Context, env *Env) outcome {
	var status struct {
		Config struct {
			Original string `json:"original"`
		} `json:"config"`
		Cluster struct {
			Status string `json:"status"`
		} `json:"cluster"`
	}
	if err := env.alertmanager.do(ctx, "GET", "/api/v2/status", nil, &status); err != nil {
		return errored(err.Error())
	}
	var cfg amConfig
	if err := yaml.Unmarshal([]byte(status.Config.Original), &cfg); err != nil {
		return errored(fmt.Sprintf("Alertmanager's config (from /api/v2/status) does not parse: %v", err))
	}
	var matched []string
	for _, r := range cfg.Receivers {
		for _, w := range r.WebhookConfigs {
			// Newer Alertmanagers show webhook URLs as <secret>; then the
			// receiver's name is all there is to go by.
			if sameURL(w.URL, a.webhook) || (w.URL == "<secret>" && r.Name == a.receiver) {
				matched = append(matched, r.Name)
			}
		}
	}
	ev := fmt.Sprintf("cluster %s", orNone(nonEmpty(status.Cluster.Status)))
	if len(matched) == 0 {
		return fail(fmt.Sprintf("no Alertmanager receiver has a webhook to %s", a.webhook), ev)
	}
	for _, name := range matched {
		if cfg.Route.uses(name) {
			return pass(fmt.Sprintf("%s, receiver %q sends to %s and the route tree uses it", ev, name, a.webhook))
		}
	}
	return fail(fmt.Sprintf("receiver %s has the webhook but no route sends to it", strings.Join(matched, ", ")), ev)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

type receiverCheck struct{}

func buildReceiver(section *yaml.Node, b *buildContext) (check, error) {
	var s struct{}
	if err := decodeOptional(section, &s); err != nil {
		return nil, err
	}
	if b.checklist.Receiver == nil {
		return nil, needServer("receiver")
	}
	return receiverCheck{}, nil
}

func (receiverCheck) run(ctx context.Context, env *Env) outcome {
	err := env.receiver.do(ctx, "GET", "/-/ready", nil, nil)
	var se *HTTPStatusError
	switch {
	case errors.As(err, &se):
		return fail(err.Error(), fmt.Sprintf("/-/ready answered %d", se.Status))
	case err != nil:
		return errored(err.Error())
	}
	return pass("/-/ready answered 200 (the store takes writes)")
}

type dashboardsSection struct {
	UIDs []string `yaml:"uids,omitempty"`
	// Files are dashboard JSON files (globs, relative to the checklist)
	// whose uids must be in Grafana: the generated dashboards/*.json.
	Files []string `yaml:"files,omitempty"`
}

type dashboardsCheck struct{ uids []string }

func buildDashboards(section *yaml.Node, b *buildContext) (check, error) {
	var s dashboardsSection
	if err := yamlx.DecodeStrict(section, &s); err != nil {
		return nil, err
	}
	if b.checklist.Grafana == nil {
		return nil, needServer("grafana")
	}
	uids := slices.Clone(s.UIDs)
	for i, pattern := range s.Files {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(b.dir, pattern)
		}
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			return nil, fieldError(section, fmt.Sprintf("files[%d]", i), "%s matches no file", pattern)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fieldError(section, fmt.Sprintf("files[%d]", i), "%v", err)
			}
			var d struct {
				UID string `json:"uid"`
			}
			if err := json.Unmarshal(data, &d); err != nil || d.UID == "" {
				return nil, fieldError(section, fmt.Sprintf("files[%d]", i), "%s is not a dashboard with a uid", f)
			}
			uids = append(uids, d.UID)
		}
	}
	if len(uids) == 0 {
		return nil, fieldError(section, "uids", "name the dashboard uids, or files to read them from")
	}
	slices.Sort(uids)
	return &dashboardsCheck{uids: slices.Compact(uids)}, nil
}

func (d *dashboardsCheck) run(ctx context.Context, env *Env) outcome {
	var missing, found []string
	for _, uid := range d.uids {
		var resp struct {
			Dashboard struct {
				Title string `json:"title"`
			} `json:"dashboard"`
		}
		err := env.grafana.do(ctx, "GET", "/api/dashboards/uid/"+url.PathEscape(uid), nil, &resp)
		var se *HTTPStatusError
		switch {
		case errors.As(err, &se) && se.Status == 404:
			missing = append(missing, uid)
		case err != nil:
			return errored(err.Error())
		default:
			found = append(found, fmt.Sprintf("%s (%s)", uid, resp.Dashboard.Title))
		}
	}
	ev := "present: " + orNone(found)
	if len(missing) > 0 {
		return fail("dashboards missing from Grafana: "+strings.Join(missing, ", "), ev)
	}
	return pass(ev)
}
