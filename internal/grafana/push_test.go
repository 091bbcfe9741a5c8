package grafana

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/cli"
)

const testToken = "glsa_s3cr3t-token-value"

// fakeGrafana implements the three endpoints the push uses and checks the
// shape of every request.
type fakeGrafana struct {
	t        *testing.T
	mu       sync.Mutex
	folders  []Folder
	conflict bool // POST /api/folders answers 409 and the folder appears
	// refuse maps a dashboard uid to the status and body Grafana answers.
	refuse    map[string][2]string
	requests  []string
	imported  map[string]importBody
	authFails bool
}

type importBody struct {
	Dashboard map[string]any `json:"dashboard"`
	FolderUID string         `json:"folderUid"`
	Overwrite *bool          `json:"overwrite"`
	Message   string         `json:"message"`
}

func (g *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+testToken || g.authFails {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Invalid API key"}`)
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/json" {
		g.t.Errorf("%s %s: Content-Type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/grafana/api/folders":
		if r.URL.Query().Get("limit") == "" {
			g.t.Errorf("folder listing without a limit")
		}
		json.NewEncoder(w).Encode(g.folders)
	case r.Method == http.MethodPost && r.URL.Path == "/grafana/api/folders":
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["title"] == "" {
			g.t.Errorf("folder create body %v (%v)", body, err)
		}
		f := Folder{UID: "f-" + fmt.Sprint(len(g.folders)+1), Title: fmt.Sprint(body["title"])}
		g.folders = append(g.folders, f)
		if g.conflict {
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"message":"a folder with the same name already exists"}`)
			return
		}
		json.NewEncoder(w).Encode(f)
	case r.Method == http.MethodPost && r.URL.Path == "/grafana/api/dashboards/db":
		var body importBody
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&body); err != nil {
			g.t.Errorf("import body: %v", err)
		}
		if body.Overwrite == nil || body.Dashboard == nil || body.FolderUID == "" || body.Message == "" {
			g.t.Errorf("import body lacks dashboard, folderUid, overwrite or message: %+v", body)
		}
		if id, ok := body.Dashboard["id"]; !ok || id != nil {
			g.t.Errorf("dashboard id = %v, want null so Grafana matches by uid", id)
		}
		uid := fmt.Sprint(body.Dashboard["uid"])
		if resp, ok := g.refuse[uid]; ok && !*body.Overwrite {
			var code int
			fmt.Sscan(resp[0], &code)
			w.WriteHeader(code)
			fmt.Fprint(w, resp[1])
			return
		}
		g.imported[uid] = body
		fmt.Fprintf(w, `{"id":1,"uid":%q,"url":"/d/%s/x","status":"success","version":3}`, uid, uid)
	default:
		g.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	}
}

func writeDashboards(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func tokenFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var twoDashboards = map[string]string{
	"overview.json": `{"id": 42, "uid": "golive-overview", "title": "IT infrastructure overview", "refresh": "30s", "panels": []}`,
	"postgres.json": `{"uid": "golive-postgres", "title": "PostgreSQL", "panels": [{"type": "stat"}]}`,
	"notes.txt":     `not a dashboard`,
}

func runPush(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := PushCommand(ctx, cli.Env{Args: args, Stdout: &out, Stderr: &errb})
	if strings.Contains(out.String()+errb.String(), testToken) {
		t.Errorf("output leaks the token:\n%s\n%s", out.String(), errb.String())
	}
	return code, out.String(), errb.String()
}

func newFake(t *testing.T) (*fakeGrafana, string) {
	g := &fakeGrafana{t: t, refuse: map[string][2]string{}, imported: map[string]importBody{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv.URL + "/grafana" // a sub-path must be kept
}

func TestPushImportsEveryDashboard(t *testing.T) {
	g, url := newFake(t)
	dir := writeDashboards(t, twoDashboards)
	code, stdout, stderr := runPush(t, "--grafana.url", url, "--grafana.token-file", tokenFile(t), "--dashboards.dir", dir, "--folder", "Go-live")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{"GET /grafana/api/folders", "POST /grafana/api/folders", "POST /grafana/api/dashboards/db", "POST /grafana/api/dashboards/db"}
	if strings.Join(g.requests, ",") != strings.Join(want, ",") {
		t.Errorf("requests %v, want %v", g.requests, want)
	}
	for _, uid := range []string{"golive-overview", "golive-postgres"} {
		b, ok := g.imported[uid]
		if !ok {
			t.Fatalf("%s not imported", uid)
		}
		if b.FolderUID != "f-1" || *b.Overwrite {
			t.Errorf("%s: folderUid %q overwrite %v, want f-1 false", uid, b.FolderUID, *b.Overwrite)
		}
	}
	if g.imported["golive-overview"].Dashboard["refresh"] != "30s" {
		t.Errorf("dashboard model not passed through: %v", g.imported["golive-overview"].Dashboard)
	}
	if !strings.Contains(stdout, `imported "PostgreSQL" (uid golive-postgres, version 3)`) {
		t.Errorf("stdout %q", stdout)
	}
}

func TestPushReusesFolder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing []Folder
		conflict bool
		wantUID  string
	}{
		{"listed", []Folder{{UID: "other", Title: "Other"}, {UID: "abc", Title: "golive"}}, false, "abc"},
		{"created concurrently", nil, true, "f-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, url := newFake(t)
			g.folders, g.conflict = tc.existing, tc.conflict
			dir := writeDashboards(t, twoDashboards)
			code, _, stderr := runPush(t, "--grafana.url", url, "--grafana.token-file", tokenFile(t), "--dashboards.dir", dir)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := g.imported["golive-overview"].FolderUID; got != tc.wantUID {
				t.Errorf("folderUid %q, want %q", got, tc.wantUID)
			}
		})
	}
}

func TestPushErrors(t *testing.T) {
	t.Run("401 stops with Grafana's message", func(t *testing.T) {
		g, url := newFake(t)
		g.authFails = true
		code, _, stderr := runPush(t, "--grafana.url", url, "--grafana.token-file", tokenFile(t), "--dashboards.dir", writeDashboards(t, twoDashboards))
		if code != 1 || !strings.Contains(stderr, "401 Unauthorized: Invalid API key") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if len(g.requests) != 1 {
			t.Errorf("went on after 401: %v", g.requests)
		}
	})
	t.Run("412 version mismatch names the fix, others still imported", func(t *testing.T) {
		g, url := newFake(t)
		g.refuse["golive-overview"] = [2]string{"412", `{"message":"The dashboard has been changed by someone else","status":"version-mismatch"}`}
		code, _, stderr := runPush(t, "--grafana.url", url, "--grafana.token-file", tokenFile(t), "--dashboards.dir", writeDashboards(t, twoDashboards))
		for _, want := range []string{"overview.json (uid golive-overview)", "412 Precondition Failed (version-mismatch): The dashboard has been changed by someone else", "--overwrite"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr %q lacks %q", stderr, want)
			}
		}
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if _, ok := g.imported["golive-postgres"]; !ok {
			t.Error("the other dashboard was not imported")
		}
	})
	t.Run("--overwrite replaces", func(t *testing.T) {
		g, url := newFake(t)
		g.refuse["golive-overview"] = [2]string{"412", `{"message":"changed","status":"version-mismatch"}`}
		code, _, stderr := runPush(t, "--grafana.url", url, "--grafana.token-file", tokenFile(t), "--dashboards.dir", writeDashboards(t, twoDashboards), "--overwrite")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !*g.imported["golive-overview"].Overwrite {
			t.Error("overwrite not sent")
		}
	})
	t.Run("non-JSON error body", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>bad gateway</html>")
		}))
		defer srv.Close()
		code, _, stderr := runPush(t, "--grafana.url", srv.URL, "--grafana.token-file", tokenFile(t), "--dashboards.dir", writeDashboards(t, twoDashboards))
		if code != 1 || !strings.Contains(stderr, "502 Bad Gateway: <html>bad gateway</html>") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestPushRejectsBadInput(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://admin:pw-in-url@" + l.Addr().String()
	l.Close()
	good := writeDashboards(t, twoDashboards)
	tok := tokenFile(t)
	t.Setenv(TokenEnv, "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no url", []string{"--grafana.token-file", tok}, 2, "required flag(s) '--grafana.url' not provided"},
		{"bad url", []string{"--grafana.url", "grafana:3000", "--grafana.token-file", tok, "--dashboards.dir", good}, 2, "--grafana.url"},
		{"no token", []string{"--grafana.url", "http://127.0.0.1:3000", "--dashboards.dir", good}, 2, "no Grafana credentials"},
		{"missing token file", []string{"--grafana.url", "http://127.0.0.1:3000", "--grafana.token-file", "/nonexistent/token"}, 1, "--grafana.token-file: open /nonexistent/token"},
		{"empty dir", []string{"--grafana.url", "http://127.0.0.1:3000", "--grafana.token-file", tok, "--dashboards.dir", t.TempDir()}, 1, "no *.json dashboards"},
		{"invalid JSON", []string{"--grafana.url", "http://127.0.0.1:3000", "--grafana.token-file", tok, "--dashboards.dir", writeDashboards(t, map[string]string{"x.json": `{"uid": `})}, 1, "x.json: not a dashboard JSON object"},
		{"no uid", []string{"--grafana.url", "http://127.0.0.1:3000", "--grafana.token-file", tok, "--dashboards.dir", writeDashboards(t, map[string]string{"x.json": `{"title": "t"}`})}, 1, "needs a uid and a title"},
		{"bad timeout", []string{"--grafana.url", "http://127.0.0.1:3000", "--grafana.token-file", tok, "--timeout", "30"}, 2, "--timeout"},
		{"bad http config", []string{"--grafana.url", "http://127.0.0.1:3000", "--http.config.file", "/nonexistent/http.yml"}, 1, "--http.config.file /nonexistent/http.yml"},
		{"unreachable", []string{"--grafana.url", dead, "--grafana.token-file", tok, "--dashboards.dir", good, "--timeout", "2s"}, 1, "unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runPush(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
			if strings.Contains(stderr, "pw-in-url") {
				t.Errorf("stderr leaks the URL password: %s", stderr)
			}
		})
	}
}

func TestTokenFromEnvironment(t *testing.T) {
	g, url := newFake(t)
	t.Setenv(TokenEnv, testToken)
	code, _, stderr := runPush(t, "--grafana.url", url, "--dashboards.dir", writeDashboards(t, twoDashboards))
	if code != 0 || len(g.imported) != 2 {
		t.Fatalf("exit %d, imported %d: %s", code, len(g.imported), stderr)
	}
}

// Credentials may come from a common/config HTTP client file instead of
// --grafana.token-file (here the same token as an authorization block).
func TestPushAuthenticatesThroughHTTPConfigFile(t *testing.T) {
	g, url := newFake(t)
	t.Setenv(TokenEnv, "")
	dir := writeDashboards(t, twoDashboards)
	httpConfig := filepath.Join(t.TempDir(), "http.yml")
	if err := os.WriteFile(httpConfig, []byte("authorization:\n  type: Bearer\n  credentials_file: "+tokenFile(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runPush(t, "--grafana.url", url, "--http.config.file", httpConfig, "--dashboards.dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(g.imported) != 2 {
		t.Errorf("imported %d dashboards, want 2", len(g.imported))
	}
}
