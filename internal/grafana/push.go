package grafana

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/secret"
)

// TokenEnv is read for the token when --grafana.token-file is not given.
const TokenEnv = "GOLIVE_GRAFANA_TOKEN"

// Dashboard is one dashboard file, checked before anything is sent.
type Dashboard struct {
	Path  string
	UID   string
	Title string
	JSON  json.RawMessage
}

// LoadDashboards reads every *.json file of dir, sorted by name. Each must
// be a JSON object with a uid (without one every push would create another
// copy) and a title.
func LoadDashboards(dir string) ([]Dashboard, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.json dashboards in %s", dir)
	}
	sort.Strings(paths)
	out := make([]Dashboard, 0, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var head struct {
			UID   string `json:"uid"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("%s: not a dashboard JSON object: %w", p, err)
		}
		if head.UID == "" || head.Title == "" {
			return nil, fmt.Errorf("%s: a dashboard needs a uid and a title", p)
		}
		if len(head.UID) > 40 {
			return nil, fmt.Errorf("%s: uid %q is longer than Grafana's 40 characters", p, head.UID)
		}
		out = append(out, Dashboard{Path: p, UID: head.UID, Title: head.Title, JSON: raw})
	}
	return out, nil
}

type pushFlags struct {
	url       string
	tokenFile string
	folder    string
	dir       string
	overwrite bool
	message   string
	timeout   time.Duration
}

// PushCommand is `golive dashboards push`: import every dashboards/*.json
// into a Grafana folder.
func PushCommand(ctx context.Context, env cli.Env) int {
	fs := cli.NewFlagSet("dashboards push", env)
	var f pushFlags
	fs.StringVar(&f.url, "grafana.url", "", "Grafana root URL, e.g. http://127.0.0.1:3000 (required)")
	fs.StringVar(&f.tokenFile, "grafana.token-file", "", "file holding a Grafana service account token (default: $"+TokenEnv+")")
	fs.StringVar(&f.folder, "folder", "golive", "Grafana folder to import into (created if missing)")
	fs.StringVar(&f.dir, "dashboards.dir", "dashboards", "directory of dashboard JSON files")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace dashboards with the same uid even if changed in Grafana since")
	fs.StringVar(&f.message, "message", "golive dashboards push", "version history message")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout of each Grafana request")
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(env.Stderr, "golive dashboards push: "+format+"\n", args...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected arguments %q", fs.Args())
	}
	if f.url == "" {
		return fail(2, "--grafana.url is required")
	}
	if f.folder == "" {
		return fail(2, "--folder must not be empty")
	}
	token, err := readToken(f.tokenFile)
	if err != nil {
		return fail(2, "%v", err)
	}
	if token == "" {
		return fail(2, "no Grafana token: set --grafana.token-file or $%s", TokenEnv)
	}
	client, err := New(Options{URL: f.url, Token: token, Timeout: f.timeout})
	if err != nil {
		return fail(2, "--grafana.url: %v", err)
	}
	dashboards, err := LoadDashboards(f.dir)
	if err != nil {
		return fail(2, "--dashboards.dir: %v", err)
	}
	if err := push(ctx, env, client, dashboards, f); err != nil {
		return fail(1, "%v", err)
	}
	return 0
}

// readToken reads the token file (surrounding whitespace trimmed), or the
// environment when no file is given. Tokens never come from a flag value,
// which would show in ps and shell history.
func readToken(file string) (secret.Secret, error) {
	if file == "" {
		return secret.Secret(os.Getenv(TokenEnv)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--grafana.token-file: %w", err)
	}
	return secret.Secret(strings.TrimSpace(string(b))), nil
}

// push imports every dashboard, going on past a refused one so that one
// conflict does not hold back the rest, but stopping when the token is
// refused.
func push(ctx context.Context, env cli.Env, c *Client, dashboards []Dashboard, f pushFlags) error {
	folder, err := c.EnsureFolder(ctx, f.folder)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range dashboards {
		res, err := c.ImportDashboard(ctx, Import{Dashboard: d.JSON, FolderUID: folder.UID, Overwrite: f.overwrite, Message: f.message})
		if err == nil {
			fmt.Fprintf(env.Stdout, "imported %q (uid %s, version %d) into folder %q: %s\n", d.Title, res.UID, res.Version, folder.Title, res.URL)
			continue
		}
		err = fmt.Errorf("%s (uid %s): %w", filepath.Base(d.Path), d.UID, err)
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			if apiErr.Unauthorized() {
				return fmt.Errorf("%w; check the token and its permissions (dashboards:create, dashboards:write, folders:create)", err)
			}
			if apiErr.StatusCode == http.StatusPreconditionFailed && !f.overwrite {
				err = fmt.Errorf("%w; re-run with --overwrite to replace the dashboard in Grafana", err)
			}
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
