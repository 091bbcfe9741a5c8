package readiness

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/testenv"
)

// The automated kinds against the real things: the local PostgreSQL and
// Redis through the exporter's collectors, a TLS listener whose certificate
// expires in 10 days (warn) and in 90 (pass), and HTTP endpoints.
func TestAutomatedItemsAgainstRealServers(t *testing.T) {
	dsn, redisAddr := testenv.PostgresDSN(t), testenv.RedisAddr(t)
	soon, soonCA := TLSListener(t, 10*24*time.Hour)
	later, laterCA := TLSListener(t, 90*24*time.Hour)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer ok.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer broken.Close()
	dead := testenv.SilentListener(t)

	exporter := fmt.Sprintf(`
postgres:
  - name: primary
    dsn: %s
  - name: nowhere
    dsn: postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2
redis:
  - name: main
    address: %s
modules:
  http_2xx:
    prober: http
    timeout: 5s
`, dsn, redisAddr)
	c := checklistT(t, fmt.Sprintf(`
modules:
  tls_soon:
    prober: tcp
    tcp: {tls: true, tls_config: {ca_file: %s}}
  tls_later:
    prober: tcp
    tcp: {tls: true, tls_config: {ca_file: %s}}
  tcp_connect:
    prober: tcp
    timeout: 2s
items:
  - {name: db, postgres: {server: primary, max_replication_lag: 30s}}
  - {name: db-down, required: false, postgres: {server: nowhere}}
  - {name: cache, redis: {server: main}}
  - {name: cert-soon, probe: {module: tls_soon, target: %s}}
  - {name: cert-later, probe: {module: tls_later, target: %s}}
  - {name: api, probe: {module: http_2xx, target: %s}}
  - {name: api-broken, required: false, probe: {module: http_2xx, target: %s}}
  - {name: hung, required: false, timeout: 1s, probe: {module: http_2xx, target: http://%s/}}
  - {name: port-closed, required: false, probe: {module: tcp_connect, target: 127.0.0.1:1}}
`, soonCA, laterCA, soon, later, ok.URL, broken.URL, dead), exporter)

	start := time.Now()
	r, res := runT(t, c, nil)
	wantStatus(t, res, "db", StatusPass, "pg_up 1")
	wantStatus(t, res, "db-down", StatusFail, "pg_up 0")
	wantStatus(t, res, "cache", StatusPass, "redis_up 1")
	wantStatus(t, res, "cert-soon", StatusWarn, "within the 30d warning window")
	wantStatus(t, res, "cert-later", StatusPass, "days left")
	wantStatus(t, res, "api", StatusPass, "HTTP 200")
	wantStatus(t, res, "api-broken", StatusFail, "503")
	wantStatus(t, res, "hung", StatusError, "")
	wantStatus(t, res, "port-closed", StatusFail, "connection refused")
	if d := res["cert-soon"].Evidence; !strings.Contains(d, "9.9 days left") && !strings.Contains(d, "10.0 days left") {
		t.Errorf("cert-soon evidence %q: want about 10 days left", d)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the run took %s; items run concurrently, the slowest has 5s", elapsed)
	}
	// Warnings and optional failures do not fail the checklist...
	if got := r.Outcome(false); got != Ready {
		t.Errorf("outcome %d, want ready (only a warning and optional failures): %s", got, r.Summary())
	}
	// ... unless --fail-on-warning.
	if got := r.Outcome(true); got != NotReady {
		t.Errorf("outcome with fail-on-warning %d, want not ready", got)
	}
}

// A required item that errors makes the run "could not evaluate"; one that
// fails makes it "not ready", whatever errored besides.
func TestOutcome(t *testing.T) {
	item := func(s Status, required bool) Result { return Result{Name: string(s), Status: s, Required: required} }
	for _, tc := range []struct {
		items []Result
		want  Outcome
	}{
		{[]Result{item(StatusPass, true), item(StatusWarn, true)}, Ready},
		{[]Result{item(StatusPass, true), item(StatusFail, false), item(StatusError, false)}, Ready},
		{[]Result{item(StatusPass, true), item(StatusError, true)}, CannotEvaluate},
		{[]Result{item(StatusError, true), item(StatusFail, true)}, NotReady},
		{[]Result{item(StatusPending, true)}, NotReady},
	} {
		r := &Report{Items: tc.items}
		if got := r.Outcome(false); got != tc.want {
			t.Errorf("%v: outcome %d, want %d", tc.items, got, tc.want)
		}
	}
}
