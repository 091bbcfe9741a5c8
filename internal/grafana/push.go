package grafana

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/internal/httpclient"
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
	url        string
	tokenFile  string
	httpConfig *string
	folder     string
	dir        string
	overwrite  bool
	message    string
	timeout    model.Duration
}

// PushCommand is `golive dashboards push`: import every dashboards/*.json
// into a Grafana folder.
func PushCommand(ctx context.Context, env cli.Env) int {
	app := cli.NewApp(env, "dashboards push", "Import every dashboard JSON file into a Grafana folder through Grafana's HTTP API.")
	var f pushFlags
	app.Flag("grafana.url", "Grafana root URL, e.g. http://127.0.0.1:3000.").Required().PlaceHolder("URL").StringVar(&f.url)
	app.Flag("grafana.token-file", "File holding a Grafana service account token (default: $"+TokenEnv+").").PlaceHolder("FILE").StringVar(&f.tokenFile)
	f.httpConfig = cli.AddHTTPConfigFlag(app, "Grafana")
	app.Flag("folder", "Grafana folder to import into (created if missing).").Default("golive").StringVar(&f.folder)
	app.Flag("dashboards.dir", "Directory of dashboard JSON files.").Default("dashboards").StringVar(&f.dir)
	app.Flag("overwrite", "Replace dashboards with the same uid even if changed in Grafana since.").BoolVar(&f.overwrite)
	app.Flag("message", "Version history message.").Default("golive dashboards push").StringVar(&f.message)
	cli.DurationVar(app.Flag("timeout", "Timeout of each Grafana request."), "30s", &f.timeout)
	if _, code, done := app.Parse(); done {
		return code
	}
	if f.folder == "" {
		return app.Usage(errors.New("--folder must not be empty"))
	}
	token, err := readToken(f.tokenFile)
	if err != nil {
		return app.Fail(err)
	}
	if token == "" && *f.httpConfig == "" {
		return app.Usage(fmt.Errorf("no Grafana credentials: set --grafana.token-file, $%s or an --http.config.file with authorization or basic_auth", TokenEnv))
	}
	hc, err := httpclient.FromFile(*f.httpConfig, "grafana")
	if err != nil {
		return app.Fail(err)
	}
	client, err := New(Options{URL: f.url, Token: token, Timeout: time.Duration(f.timeout), HTTPClient: hc})
	if err != nil {
		return app.Usage(fmt.Errorf("--grafana.url: %w", err))
	}
	dashboards, err := LoadDashboards(f.dir)
	if err != nil {
		return app.Fail(fmt.Errorf("--dashboards.dir: %w", err))
	}
	if err := push(ctx, env, client, dashboards, f); err != nil {
		return app.Fail(err)
	}
	return cli.ExitOK
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
