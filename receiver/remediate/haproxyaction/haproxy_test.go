package haproxyaction_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/remediate/haproxyaction"
)

func named(name string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) }))
	return s
}

func newAction(t *testing.T, yml string) *haproxyaction.Action {
	t.Helper()
	var c haproxyaction.Config
	if err := yaml.Unmarshal([]byte(yml), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate("haproxy"); err != nil {
		t.Fatal(err)
	}
	a, err := haproxyaction.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The web servers are down and the backup is held in maintenance, so
// clients get 503s; the action takes the dead server out and activates
// the backup, and the same requests through the real HAProxy are then
// answered by the backup server.
func TestBackupActivationMovesTraffic(t *testing.T) {
	backup := named("backup")
	defer backup.Close()
	dead := haproxytest.FreeAddr(t) // nothing listens: its check fails
	lb := haproxytest.Start(t, haproxytest.Backend{Name: "web", Servers: []haproxytest.Server{
		{Name: "web1", Addr: dead, Weight: -1, Check: true},
		{Name: "web-backup", Addr: strings.TrimPrefix(backup.URL, "http://"), Weight: -1, Backup: true, Disabled: true},
	}})
	time.Sleep(1200 * time.Millisecond) // web1's first check fails (inter 500ms, fall 1)
	if got := haproxytest.Count(t, lb.Frontends["web"], 5); got["503"] != 5 {
		t.Fatalf("before: %v, want 5 × 503 (web1 down, backup in maintenance)", got)
	}

	a := newAction(t, fmt.Sprintf(`
socket: %s
backend: "{service}"
servers:
  - {name: web1, state: maint}
  - {name: "{service}-backup", state: ready}
substitutions: {service: {label: service, allow: "web|api"}}
`, lb.Socket))
	req, err := a.Plan(action.Trigger{Labels: map[string]string{"service": "web"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "set server web/web1 state maint\nset server web/web-backup state ready"; req.Detail["commands"] != want {
		t.Fatalf("planned %q, want %q", req.Detail["commands"], want)
	}
	rep, _, err := a.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, rep.Output)
	}
	for _, line := range []string{"set server web/web-backup state ready: done (was state maint", "read back web/web-backup: state ready", "read back web/web1: state maint"} {
		if !strings.Contains(rep.Output, line) {
			t.Errorf("report lacks %q:\n%s", line, rep.Output)
		}
	}
	if got := haproxytest.Count(t, lb.Frontends["web"], 10); got["backup"] != 10 {
		t.Fatalf("after: %v, want every request answered by the backup", got)
	}
	// A second run leaves everything as it is (the action is idempotent).
	if _, _, err := a.Run(context.Background(), req); err != nil || !a.Idempotent() {
		t.Fatalf("second run: %v", err)
	}
}

// Drain keeps a server checked but sends it no new traffic.
func TestDrain(t *testing.T) {
	one, two := named("one"), named("two")
	defer one.Close()
	defer two.Close()
	lb := haproxytest.Start(t, haproxytest.Backend{Name: "api", Servers: []haproxytest.Server{
		{Name: "api1", Addr: strings.TrimPrefix(one.URL, "http://"), Weight: -1},
		{Name: "api2", Addr: strings.TrimPrefix(two.URL, "http://"), Weight: -1},
	}})
	if got := haproxytest.Count(t, lb.Frontends["api"], 4); got["one"] != 2 || got["two"] != 2 {
		t.Fatalf("before: %v", got)
	}
	a := newAction(t, fmt.Sprintf("{socket: %q, backend: api, servers: [{name: api2, state: drain, weight: 0}]}", lb.Socket))
	req, _ := a.Plan(action.Trigger{})
	if rep, _, err := a.Run(context.Background(), req); err != nil {
		t.Fatalf("%v\n%s", err, rep.Output)
	}
	if got := haproxytest.Count(t, lb.Frontends["api"], 6); got["one"] != 6 {
		t.Fatalf("after drain: %v, want all on api1", got)
	}
	split, err := lb.Client.Snapshot(context.Background(), "api", "api2")
	if err != nil || split["api2"].State != haproxy.Drain || split["api2"].Weight != 0 {
		t.Fatalf("api2 = %+v, %v", split, err)
	}
}

// A server HAProxy does not know fails with HAProxy's own answer, and is
// not retried; so does a backend it does not know. An unreachable socket
// may be retried.
func TestHAProxyRefusalsAreReported(t *testing.T) {
	lb := haproxytest.Start(t, haproxytest.Backend{Name: "web", Servers: []haproxytest.Server{{Name: "web1", Addr: haproxytest.FreeAddr(t), Weight: -1}}})
	for name, tc := range map[string]struct{ yml, want string }{
		"server":  {fmt.Sprintf("{socket: %q, backend: web, servers: [{name: web9, state: ready}]}", lb.Socket), "No such server"},
		"backend": {fmt.Sprintf("{socket: %q, backend: nope, servers: [{name: web1, state: ready}]}", lb.Socket), "Can't find backend"},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAction(t, tc.yml)
			req, _ := a.Plan(action.Trigger{})
			_, retry, err := a.Run(context.Background(), req)
			if err == nil || !errors.Is(err, haproxy.ErrCommand) || !strings.Contains(err.Error(), tc.want) || retry {
				t.Fatalf("err = %v (retry %t), want HAProxy's %q, not retried", err, retry, tc.want)
			}
		})
	}
	a := newAction(t, "{socket: 'unix:/nonexistent/admin.sock', backend: web, servers: [{name: web1, state: ready}]}")
	req, _ := a.Plan(action.Trigger{})
	if _, retry, err := a.Run(context.Background(), req); err == nil || !retry {
		t.Fatalf("unreachable socket: err %v retry %t, want a retryable error", err, retry)
	}
}

// Label values reach the commands only through allow-listed substitutions.
func TestHostileLabelsRefused(t *testing.T) {
	a := newAction(t, `{socket: "unix:/run/haproxy/admin.sock", backend: "{service}", servers: [{name: "{service}1", state: maint}],
  substitutions: {service: {label: service, allow: "[a-z]+"}}}`)
	for _, v := range []string{"web; shutdown sessions", "web\nset server x/y state maint", "$(id)", "../web", "`id`"} {
		if _, err := a.Plan(action.Trigger{Labels: map[string]string{"service": v}}); !errors.Is(err, action.ErrRefused) {
			t.Errorf("service=%q: err %v, want refused", v, err)
		}
	}
}

func TestInvalidConfigs(t *testing.T) {
	for yml, want := range map[string]string{
		"{backend: web, servers: [{name: a, state: ready}]}":                                             "haproxy.socket: address is empty",
		"{socket: 'tcp:localhost', backend: web, servers: [{name: a, state: ready}]}":                    "haproxy.socket: address \"tcp:localhost\"",
		"{socket: /s, servers: [{name: a, state: ready}]}":                                               "haproxy.backend: required",
		"{socket: /s, backend: 'we b', servers: [{name: a, state: ready}]}":                              `haproxy.backend: "we b" is not a valid HAProxy name`,
		"{socket: /s, backend: web}":                                                                     "haproxy.servers: required",
		"{socket: /s, backend: web, servers: [{name: 'a;b', state: ready}]}":                             `haproxy.servers[0].name: "a;b" is not a valid`,
		"{socket: /s, backend: web, servers: [{name: a, state: up}]}":                                    `haproxy.servers[0].state: state "up" is not one of`,
		"{socket: /s, backend: web, servers: [{name: a, state: ready, weight: 300}]}":                    "haproxy.servers[0].weight: 300 is not between 0 and 256",
		"{socket: /s, backend: web, servers: [{name: '{srv}', state: ready}]}":                           "{srv} is not a defined substitution",
		"{socket: /s, backend: web, servers: [{name: a, state: ready}], substitutions: {x: {label: x}}}": "haproxy.substitutions.x.allow: required",
	} {
		var c haproxyaction.Config
		if err := yaml.Unmarshal([]byte(yml), &c); err != nil {
			t.Fatal(err)
		}
		if err := c.Validate("haproxy"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", yml, err, want)
		}
	}
}
