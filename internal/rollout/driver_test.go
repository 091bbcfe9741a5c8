package rollout

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	"github.com/golive-ops/golive/internal/testenv"
)

func TestHAProxyDriverStagesAndRollback(t *testing.T) {
	h := haproxytest.Start(t, haproxytest.Backend{Name: "app", Servers: []haproxytest.Server{
		{Name: "old", Addr: haproxytest.Named(t, "old"), Weight: 100},
		{Name: "new", Addr: haproxytest.Named(t, "new"), Weight: 0, Disabled: true},
	}})
	ctx := testenv.Context(t, time.Minute)
	d, err := NewTrafficDriver("p", &Traffic{HAProxy: &HAProxyTraffic{Address: h.Socket, Backend: "app", Current: []string{"old"}, Candidate: []string{"new"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(ctx); err != nil {
		t.Fatal(err)
	}
	initial, err := d.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Apply(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if got := haproxytest.Count(t, h.Frontends["app"], 100); got["new"] < 9 || got["new"] > 11 {
		t.Fatalf("at 10%%: %v", got)
	}
	if _, err := d.Apply(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if got := haproxytest.Count(t, h.Frontends["app"], 20); got["new"] != 20 {
		t.Fatalf("at 100%%: %v", got)
	}
	// Rollback re-applies the recorded state: the candidate is back in
	// maintenance with weight 0, the old server takes everything.
	if err := d.Restore(ctx, initial); err != nil {
		t.Fatal(err)
	}
	if got := haproxytest.Count(t, h.Frontends["app"], 20); got["old"] != 20 {
		t.Fatalf("after rollback: %v", got)
	}
	snap, _ := h.Client.Snapshot(ctx, "app")
	if snap["new"].State != haproxy.Maint || snap["old"].Weight != 100 {
		t.Fatalf("after rollback: %v", snap)
	}
	if desc := d.Describe(30); !strings.Contains(desc, "set server app/new weight 60") || !strings.Contains(desc, "set server app/old weight 140") {
		t.Errorf("Describe(30) = %q", desc)
	}
}

func TestHAProxyDriverRefusesUnknownServers(t *testing.T) {
	h := haproxytest.Start(t, haproxytest.Backend{Name: "app", Servers: []haproxytest.Server{
		{Name: "old", Addr: haproxytest.Named(t, "old"), Weight: 100},
	}})
	ctx := testenv.Context(t, time.Minute)
	d, err := NewTrafficDriver("p", &Traffic{HAProxy: &HAProxyTraffic{Address: h.Socket, Backend: "app", Current: []string{"old"}, Candidate: []string{"nwe"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(ctx); err == nil || !strings.Contains(err.Error(), `no server "nwe"`) {
		t.Fatalf("Check = %v", err)
	}
	if _, err := d.Apply(ctx, 10); err == nil {
		t.Fatal("Apply with an unknown server succeeded")
	}
	if got := haproxytest.Count(t, h.Frontends["app"], 10); got["old"] != 10 {
		t.Fatalf("a refused plan moved traffic: %v", got)
	}
	d2, _ := NewTrafficDriver("p", &Traffic{HAProxy: &HAProxyTraffic{Address: h.Socket, Backend: "nosuch", Current: []string{"old"}, Candidate: []string{"new"}}})
	if err := d2.Check(ctx); !errors.Is(err, haproxy.ErrCommand) {
		t.Fatalf("unknown backend: %v", err)
	}
}

type recorded struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func (r *recorded) handler(status int, answer string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, req)
		r.body = append(r.body, string(b))
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	})
}

func TestHTTPDriverSendsTheRunbookCall(t *testing.T) {
	var rec recorded
	srv := httptest.NewServer(rec.handler(200, `{"ok":true}`))
	defer srv.Close()
	token := filepath.Join(t.TempDir(), "lb.token")
	if err := os.WriteFile(token, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := "gate: g\ntraffic:\n  http:\n    url: " + srv.URL + "/api/config\n    bearer_token_file: " + token +
		"\n    body: '{\"traffic_split\": {\"new_system\": {{.Percent}}, \"old_system\": {{.CurrentPercent}}}, \"rollback\": {{.Rollback}}}'\n" +
		"stages: [{percent: 10, observe: 1m}, {percent: 100, observe: 1m}]\n"
	p, err := Parse(strings.NewReader(plan))
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewTrafficDriver(p.Name, p.Traffic)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testenv.Context(t, time.Minute)
	initial, _ := d.Current(ctx)
	if _, err := d.Apply(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if err := d.Restore(ctx, initial); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 2 {
		t.Fatalf("%d requests", len(rec.reqs))
	}
	r := rec.reqs[0]
	if r.Method != "POST" || r.URL.Path != "/api/config" || r.Header.Get("Authorization") != "Bearer s3cret-token" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request: %s %s %v", r.Method, r.URL, r.Header)
	}
	var split struct {
		Split    map[string]float64 `json:"traffic_split"`
		Rollback bool               `json:"rollback"`
	}
	if err := json.Unmarshal([]byte(rec.body[0]), &split); err != nil || split.Split["new_system"] != 10 || split.Split["old_system"] != 90 || split.Rollback {
		t.Fatalf("stage body %s (%v)", rec.body[0], err)
	}
	if err := json.Unmarshal([]byte(rec.body[1]), &split); err != nil || split.Split["new_system"] != 0 || !split.Rollback {
		t.Fatalf("rollback body %s (%v)", rec.body[1], err)
	}
	if desc := d.Describe(30); strings.Contains(desc, "s3cret") || !strings.Contains(desc, `"new_system": 30`) {
		t.Errorf("Describe = %q", desc)
	}
}

func TestHTTPDriverFailures(t *testing.T) {
	var rec recorded
	srv := httptest.NewServer(rec.handler(500, "upstream broke"))
	defer srv.Close()
	d, err := NewTrafficDriver("p", &Traffic{HTTP: &HTTPCall{Method: "POST", URL: srv.URL + "/x?token=abc", Body: `{"p": {{.Percent}}}`}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testenv.Context(t, time.Minute)
	_, err = d.Apply(ctx, 10)
	if !errors.Is(err, ErrStatus) || !strings.Contains(err.Error(), "500: upstream broke") || strings.Contains(err.Error(), "abc") {
		t.Fatalf("500: %v", err)
	}
	// A hung API is bounded by the call's timeout.
	hung := testenv.SilentListener(t)
	d, _ = NewTrafficDriver("p", &Traffic{HTTP: &HTTPCall{Method: "POST", URL: "http://" + hung + "/", Timeout: 300 * 1e6}})
	start := time.Now()
	if _, err := d.Apply(ctx, 10); err == nil {
		t.Fatal("hung API: no error")
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("hung API took %v with a 300ms timeout", time.Since(start))
	}
	// A body template that renders to invalid JSON is not sent.
	d, _ = NewTrafficDriver("p", &Traffic{HTTP: &HTTPCall{Method: "POST", URL: srv.URL, Body: `{"p": {{.Plan}}}`}})
	n := len(rec.reqs)
	if _, err := d.Apply(ctx, 10); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Fatalf("invalid JSON body: %v", err)
	}
	if len(rec.reqs) != n {
		t.Fatal("a request with an invalid body was sent")
	}
}

func TestUserRouter(t *testing.T) {
	var rec recorded
	mux := http.NewServeMux()
	mux.Handle("GET /users", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("group") {
		case "it":
			_, _ = io.WriteString(w, `["alice","bob"]`)
		case "big":
			_, _ = io.WriteString(w, `{"users":["carol"]}`)
		default:
			_, _ = io.WriteString(w, `{"nope":1}`)
		}
	}))
	mux.Handle("POST /route", rec.handler(204, ""))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	u := &Users{
		Select: HTTPCall{Method: "GET", URL: srv.URL + "/users?group={{urlquery .Batch}}"},
		Route:  HTTPCall{URL: srv.URL + "/route", Body: `{"users": {{json .Users}}, "to": {{json .Target}}}`},
	}
	p := Plan{Gate: "g", Users: u, Batches: []Batch{{Name: "it", Observe: 60e9}}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	r, err := NewUserRouter("p", u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testenv.Context(t, time.Minute)
	users, err := r.Select(ctx, "it")
	if err != nil || len(users) != 2 || users[1] != "bob" {
		t.Fatalf("select it: %v %v", users, err)
	}
	if users, err := r.Select(ctx, "big"); err != nil || len(users) != 1 {
		t.Fatalf("select big: %v %v", users, err)
	}
	if _, err := r.Select(ctx, "other"); err == nil || !strings.Contains(err.Error(), "neither a JSON array") {
		t.Fatalf("select other: %v", err)
	}
	if _, err := r.Route(ctx, "it", users, TargetCandidate); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Route(ctx, "it", users, TargetCurrent); err != nil {
		t.Fatal(err)
	}
	if len(rec.body) != 2 || rec.body[0] != `{"users": ["alice","bob"], "to": "candidate"}` || !strings.Contains(rec.body[1], `"to": "current"`) {
		t.Fatalf("route bodies %q", rec.body)
	}
	if _, err := r.Route(ctx, "it", users, "elsewhere"); err == nil {
		t.Fatal("unknown target accepted")
	}
}
