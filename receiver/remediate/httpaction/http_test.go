package httpaction

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

func TestRequestCredentialsAndStatus(t *testing.T) {
	var got struct{ path, auth, body string }
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.path, got.auth, got.body = r.URL.EscapedPath(), r.Header.Get("Authorization"), string(b)
		w.WriteHeader(status)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte("s3cret-token\n"), 0o600)
	c := Config{Method: "post", URL: srv.URL + "/backends/{backend}/enable", Body: `{"backend":"{backend}"}`,
		BearerTokenFile: tok, Substitutions: action.Substitutions{"backend": {Label: "instance", Allow: "[a-z0-9.:-]+"}}}
	if err := c.Validate("remediation.actions[0].http"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Plan(action.Trigger{Labels: map[string]string{"instance": "../admin"}}); !errors.Is(err, action.ErrRefused) {
		t.Fatalf("a path traversal value: %v, want a refusal", err)
	}
	req, err := a.Plan(action.Trigger{Labels: map[string]string{"instance": "web-2:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := json.Marshal(req)
	if strings.Contains(string(stored), "s3cret") {
		t.Fatalf("the stored request carries the token: %s", stored)
	}
	rep, _, err := a.Run(context.Background(), req)
	if err != nil || rep.HTTPStatus != 200 || rep.Output != "ok" {
		t.Fatalf("run = %+v, %v", rep, err)
	}
	if got.path != "/backends/web-2:8080/enable" || got.auth != "Bearer s3cret-token" || got.body != `{"backend":"web-2:8080"}` {
		t.Fatalf("server saw %+v", got)
	}
	for code, wantRetry := range map[int]bool{503: true, 429: true, 400: false, 404: false} {
		status = code
		rep, retry, err := a.Run(context.Background(), req)
		if err == nil || retry != wantRetry || rep.HTTPStatus != code || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("status %d: retry=%v err=%v", code, retry, err)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		c    Config
		want string
	}{
		"method":       {Config{Method: "TRACE", URL: "http://x"}, "x.method: \"TRACE\" is not one of"},
		"url":          {Config{URL: "ftp://x"}, "x.url: \"ftp://x\" is not an http(s) URL"},
		"host subst":   {Config{URL: "http://{h}/x", Substitutions: action.Substitutions{"h": {Label: "h", Allow: "[a-z]+"}}}, "the host cannot come from a substitution"},
		"userinfo":     {Config{URL: "http://u:p@x/"}, "credentials in the URL"},
		"auth header":  {Config{URL: "http://x/", Headers: map[string]string{"Authorization": "Bearer x"}}, "x.headers.Authorization: credentials in headers"},
		"status":       {Config{URL: "http://x/", SuccessCodes: []int{2000}}, "x.success_codes: 2000 is not an HTTP status code"},
		"undefined":    {Config{URL: "http://x/{b}"}, "x.url: {b} is not a defined substitution"},
		"no allowlist": {Config{URL: "http://x/{b}", Substitutions: action.Substitutions{"b": {Label: "b"}}}, "x.substitutions.b.allow: required"},
	}
	for name, c := range cases {
		if err := c.c.Validate("x"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
