package readiness

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/auth"
	"github.com/golive-ops/golive/receiver/store"
	"github.com/golive-ops/golive/receiver/store/sqlite"
)

func newAPI(t *testing.T) (*httptest.Server, store.Store, time.Time) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	mux := http.NewServeMux()
	(&API{Store: s, Channels: []string{"slack"}, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, s, now
}

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Bad sign-offs and reports get a 400 naming the field; nothing is stored.
func TestAPIRejectsBadInput(t *testing.T) {
	srv, s, _ := newAPI(t)
	for _, tc := range []struct{ path, body, want string }{
		{"/api/v1/readiness/signoffs", `{"item":"training","by":"ana","valid_for":"30d"}`, "comment: is required"},
		{"/api/v1/readiness/signoffs", `{"item":"training","by":"ana","comment":"ok","valid_for":"3 months"}`, `valid_for: \"3 months\" is not a duration`},
		{"/api/v1/readiness/signoffs", `{"item":"training","by":"ana","comment":"ok","expires_at":"2020-01-01T00:00:00Z"}`, "expires_at: 2020-01-01T00:00:00Z is not in the future"},
		{"/api/v1/readiness/signoffs", `{"item":"training","by":"ana","comment":"ok","valid_for":"5y"}`, "valid_for: at most"},
		{"/api/v1/readiness/signoffs", `{"item":"a b","by":"ana","comment":"ok","valid_for":"1d"}`, `item: \"a b\" is not an item name`},
		{"/api/v1/readiness/signoffs", `{"item":"training","by":"ana","comment":"ok","valid_for":"1d","signed":true}`, `unknown field \"signed\"`},
		{"/api/v1/readiness/signoffs", `{"item":`, "body:"},
		{"/api/v1/readiness/reports", `{"ready":true,"generated_at":"2026-12-01T10:00:00Z","items":[{"name":"db","category":"application","status":"fail","required":true}]}`, "ready: true does not match the items"},
		{"/api/v1/readiness/reports", `{"ready":true,"generated_at":"2026-12-01T10:00:00Z","items":[{"name":"db","category":"application","status":"green"}]}`, `items[0].status: \"green\" is not one of`},
		{"/api/v1/readiness/reports", `{"ready":true,"generated_at":"2026-12-01T10:00:00Z","items":[]}`, "items: want 1 to"},
	} {
		code, body := call(t, "POST", srv.URL+tc.path, tc.body)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("POST %s %s: %d %s, want 400 with %q", tc.path, tc.body, code, body, tc.want)
		}
	}
	if got, _ := s.LatestSignoffs(context.Background()); len(got) != 0 {
		t.Errorf("bad sign-offs were stored: %+v", got)
	}
	resp, err := http.Post(srv.URL+"/api/v1/readiness/signoffs", "text/plain", strings.NewReader(`{"item":"training","by":"ana","comment":"ok","valid_for":"1d"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a text/plain sign-off (what a cross-site form can send): %d, want 415", resp.StatusCode)
	}
	if code, body := call(t, "GET", srv.URL+"/api/v1/readiness/reports/latest", ""); code != http.StatusNotFound {
		t.Errorf("latest report of none: %d %s, want 404", code, body)
	}
}

func TestSignoffAndChannelTests(t *testing.T) {
	srv, s, now := newAPI(t)
	code, body := call(t, "POST", srv.URL+"/api/v1/readiness/signoffs", `{"item":"training","by":" ana ","comment":"LMS #4411","valid_for":"30d"}`)
	if code != http.StatusCreated || !strings.Contains(body, `"expires_at":"2026-12-31T10:00:00Z"`) || !strings.Contains(body, `"by":"ana"`) {
		t.Fatalf("sign: %d %s", code, body)
	}
	if err := s.InsertChannelTest(context.Background(), store.ChannelTest{Channel: "email-old", OK: true, TestedAt: now}); err != nil {
		t.Fatal(err)
	}
	_, body = call(t, "GET", srv.URL+"/api/v1/readiness/channel-tests", "")
	// slack is configured and never tested; email-old was tested but is no
	// longer configured.
	if !strings.Contains(body, `{"channel":"email-old","configured":false,"last_success":"2026-12-01T10:00:00Z"`) ||
		!strings.Contains(body, `{"channel":"slack","configured":true}`) {
		t.Errorf("channel tests: %s", body)
	}
}

// A user the receiver authenticated signs as themselves.
func TestSignerIsTheAuthenticatedUser(t *testing.T) {
	s, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mux := http.NewServeMux()
	(&API{Store: s, Logger: slog.New(slog.DiscardHandler), Now: time.Now}).Register(mux)
	req := httptest.NewRequest("POST", "/api/v1/readiness/signoffs", strings.NewReader(`{"item":"training","by":"mallory","comment":"done","valid_for":"1d"}`))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(auth.WithPrincipal(req.Context(), auth.Principal{Method: auth.MethodBasic, User: "ana"}))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"by":"ana"`) {
		t.Errorf("%d %s: want signed by the authenticated user", rec.Code, rec.Body.String())
	}
}
