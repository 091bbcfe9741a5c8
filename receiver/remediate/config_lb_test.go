package remediate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/checkconfig"
	"github.com/golive-ops/golive/internal/cli"
	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/remediate"
)

// `golive check-config` on the haproxy and postgres_failover kinds: each
// bad setting is refused with its field named, through the command a user
// runs (which also reads the DSN files, as the receiver does at start).
func TestCheckConfigHAProxyAndFailover(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "replica.dsn")
	if err := os.WriteFile(dsn, []byte("host=127.0.0.1 port=5433 user=golive password=not-shown\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const lb = "\n      when: {priorities: [P0]}\n      kind: haproxy\n      cooldown: 1m\n      haproxy: "
	const fo = "\n      when: {priorities: [P0]}\n      kind: postgres_failover\n      cooldown: 1h\n      postgres_failover: "
	cases := map[string]struct{ action, want string }{
		"haproxy unknown key":        {lb + "{socket: /run/haproxy/admin.sock, backend: web, servers: [{name: web1, state: maint}], sokcet: x}", "remediation.actions[0].haproxy.sokcet: unknown field (did you mean socket?)"},
		"haproxy unknown server key": {lb + "{socket: /s, backend: web, servers: [{name: web1, stat: maint}]}", "remediation.actions[0].haproxy.servers[0].stat: unknown field (did you mean state?)"},
		"haproxy bad address":        {lb + "{socket: 'tcp:127.0.0.1', backend: web, servers: [{name: web1, state: maint}]}", `remediation.actions[0].haproxy.socket: address "tcp:127.0.0.1"`},
		"haproxy bad backend":        {lb + "{socket: /s, backend: 'web;x', servers: [{name: web1, state: maint}]}", `remediation.actions[0].haproxy.backend: "web;x" is not a valid HAProxy name`},
		"haproxy bad server":         {lb + "{socket: /s, backend: web, servers: [{name: 'web 1', state: maint}]}", `remediation.actions[0].haproxy.servers[0].name: "web 1" is not a valid HAProxy name`},
		"haproxy bad state":          {lb + "{socket: /s, backend: web, servers: [{name: web1, state: enable}]}", `remediation.actions[0].haproxy.servers[0].state: state "enable" is not one of ready, drain, maint`},
		"haproxy unchecked label":    {lb + "{socket: /s, backend: '{service}', servers: [{name: web1, state: ready}]}", `remediation.actions[0].haproxy.backend: {service} is not a defined substitution`},
		"failover unknown key":       {fo + "{primary_dsn_file: /p, replica_dsn_file: /r, fence: {command: [/bin/true]}, max_lag: 5}", "remediation.actions[0].postgres_failover.max_lag: unknown field"},
		"failover unknown fence key": {fo + "{primary_dsn_file: /p, replica_dsn_file: /r, fence: {haproxy: {socket: /s, backend: pg, primary: pg1}}}", "remediation.actions[0].postgres_failover.fence.haproxy.primary: unknown field"},
		"failover no fence":          {fo + "{primary_dsn_file: /p, replica_dsn_file: /r}", "remediation.actions[0].postgres_failover.fence: required"},
		"failover fence address":     {fo + "{primary_dsn_file: /p, replica_dsn_file: /r, fence: {haproxy: {socket: 'pg:x', backend: pg, primary_server: pg1}}}", "remediation.actions[0].postgres_failover.fence.haproxy.socket"},
		"failover fence server":      {fo + "{primary_dsn_file: /p, replica_dsn_file: /r, fence: {haproxy: {socket: /s, backend: pg, primary_server: 'pg1\nx'}}}", "remediation.actions[0].postgres_failover.fence.haproxy.primary_server"},
		"failover patroni url":       {fo + "{patroni: {url: '127.0.0.1:8008', candidate: pg2}}", "remediation.actions[0].postgres_failover.patroni.url"},
		"failover missing DSN file":  {fo + "{primary_dsn_file: /nonexistent/primary.dsn, replica_dsn_file: " + dsn + ", fence: {command: [/bin/true]}}", "postgres_failover.primary_dsn_file: open /nonexistent/primary.dsn"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "receiver.yml")
			if err := os.WriteFile(path, []byte(auth+"remediation:\n  actions:\n    - name: act"+c.action+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := checkconfig.Command(t.Context(), cli.Env{Args: []string{"--receiver", path}, Stdout: &out, Stderr: &errb})
			if code != 1 || !strings.Contains(errb.String(), c.want) {
				t.Fatalf("check-config: %d\n%s%s\nwant %q", code, out.String(), errb.String(), c.want)
			}
			if strings.Contains(errb.String(), "not-shown") {
				t.Fatalf("a DSN's password is in the message: %s", errb.String())
			}
		})
	}

	// Good sections pass; the failover waits for approval unless told not to.
	good := auth + "remediation:\n  actions:\n    - name: lb" + lb + "{socket: /run/haproxy/admin.sock, backend: '{service}', servers: [{name: '{service}-backup', state: ready}], substitutions: {service: {label: service, allow: 'web|api'}}}" +
		"\n    - name: fo" + fo + "{primary_dsn_file: " + dsn + ", replica_dsn_file: " + dsn + ", fence: {haproxy: {socket: /run/haproxy/admin.sock, backend: pg, primary_server: pg1, replica_server: pg2}}}" +
		"\n    - name: patroni" + fo + "{patroni: {url: 'http://127.0.0.1:8008', candidate: pg2}}\n      approval: none\n"
	path := filepath.Join(dir, "receiver.yml")
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := checkconfig.Command(t.Context(), cli.Env{Args: []string{"--receiver", path}, Stdout: &out, Stderr: &errb}); code != 0 {
		t.Fatalf("good sections: %d %s", code, errb.String())
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", "required", "none"} {
		if got := cfg.Remediation.Actions[i].Approval; got != want {
			t.Errorf("actions[%d].approval = %q, want %q", i, got, want)
		}
	}
}

// FuzzHAProxyAndFailoverConfig: no haproxy or postgres_failover section
// panics the decoder or the validation.
func FuzzHAProxyAndFailoverConfig(f *testing.F) {
	f.Add("actions: [{name: a, kind: haproxy, when: {priorities: [P0]}, cooldown: 1m, haproxy: {socket: /s, backend: '{s}', servers: [{name: '{s}1', state: drain, weight: 0}], substitutions: {s: {label: service, allow: '[a-z]+'}}}}]")
	f.Add("actions: [{name: f, kind: postgres_failover, when: {priorities: [P0]}, cooldown: 1h, postgres_failover: {primary_dsn_file: p, replica_dsn_file: r, fence: {haproxy: {socket: 'tcp:127.0.0.1:9999', backend: pg, primary_server: pg1}}}}]")
	f.Add("actions: [{name: f, kind: postgres_failover, when: {priorities: [P0]}, cooldown: 1h, postgres_failover: {patroni: {url: 'http://x:8008', candidate: b, basic_auth: {username: u, password_file: p}}}}]")
	f.Add("actions: [{name: f, kind: postgres_failover, when: {priorities: [P0]}, max_attempts: {per_incident: 1}, postgres_failover: {primary_dsn_file: p, replica_dsn_file: r, fence: {command: [/bin/true], timeout: 5s}}}]")
	f.Fuzz(func(t *testing.T, in string) {
		var c remediate.Config
		if err := yaml.Unmarshal([]byte(in), &c); err == nil {
			_ = c.Validate(nil)
		}
	})
}
