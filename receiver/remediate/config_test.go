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

const auth = "auth: {disabled: true}\n"

const goodAction = `
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec:
        argv: [/usr/bin/systemctl, restart, "{service}"]
        substitutions: {service: {label: service, allow: "web|api"}}
      max_attempts: {per_incident: 1}
`

// Bad remediation sections are refused with the field named, by the same
// parsing the receiver runs at start.
func TestInvalidRemediationConfigs(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown key": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true], timeuot: 5s}
      cooldown: 1m`, "line 8: remediation.actions[0].exec.timeuot: unknown field (did you mean timeout?)"},
		"unknown action key": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldwn: 1m`, "line 9: remediation.actions[0].cooldwn: unknown field (did you mean cooldown?)"},
		"substitution without allow-list": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/usr/bin/systemctl, restart, "{service}"], substitutions: {service: {label: service}}}
      cooldown: 1m`, `remediation.actions[0].exec.substitutions.service.allow: required: every substitution needs an allow-list regexp`},
		"placeholder without substitution": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/usr/bin/systemctl, restart, "{service}"]}
      cooldown: 1m`, `remediation.actions[0].exec.argv[2]: {service} is not a defined substitution`},
		"unknown channel": {`
remediation:
  escalate_channels: [pager]
  actions:` + goodAction, `remediation.escalate_channels[0]: channel "pager" is not defined in notify.channels`},
		"cooldown 0 with unlimited attempts": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true]}`, `remediation.actions[0].cooldown: 0 with unlimited max_attempts would act on every change`},
		"unknown kind": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: ansible
      cooldown: 1m`, `remediation.actions[0].kind: "ansible" is not one of [diagnostics exec haproxy http postgres_failover service_restart war_room]`},
		"block of another kind": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      http: {url: "http://x/"}
      cooldown: 1m`, `remediation.actions[0].http: set, but kind is exec`},
		"bad priority": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P5]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m`, `remediation.actions[0].when.priorities[0]: "P5" is not one of P0, P1, P2, P3`},
		"bad change": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0], changes: [resolved]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m`, `remediation.actions[0].when.changes[0]: "resolved" is not one of opened, escalated, reopened`},
		"bad matcher": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0], matchers: ['service=~"("']}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m`, `remediation.actions[0].when.matchers[0]:`},
		"shell": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/bash, -c, "systemctl restart web"]}
      cooldown: 1m`, `remediation.actions[0].exec.argv[0]: /bin/bash is a shell or launcher`},
		"approval": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m
      approval: maybe`, `remediation.actions[0].approval: "maybe" is neither required nor none`},
		"restart without post-check": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: service_restart
      service_restart: {unit: web.service, command: [/usr/bin/systemctl, restart, "{unit}"]}
      cooldown: 1m`, `remediation.actions[0].verify: required for service_restart`},
		"duplicate name": {`
remediation:
  actions:` + goodAction + goodAction, `remediation.actions[1].name: duplicate action name "restart"`},
		"verify status": {`
remediation:
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m
      verify: {url: "http://127.0.0.1/health", status: [2000]}`, `remediation.actions[0].verify.status[0]: 2000 is not an HTTP status code`},
		"unknown probe module": {`
remediation:
  modules:
    http_2xx: {prober: http}
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m
      verify:
        probe: {module: http_3xx, target: "http://127.0.0.1/health"}`,
			`line 13: remediation.actions[0].verify.probe.module: "http_3xx" is not a module of remediation.modules (have: http_2xx)`},
		"probe without modules": {`
remediation:
  modules: {}
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m
      verify: {probe: {module: http_2xx, target: "http://127.0.0.1/health"}}`,
			`remediation.actions[0].verify.probe.module: "http_2xx" is not a module of remediation.modules (have: none)`},
		"remote exporter is gone": {`
remediation:
  modules: {http_2xx: {prober: http}}
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m
      verify: {probe: {exporter: "http://127.0.0.1:9469", module: http_2xx, target: "http://127.0.0.1/health"}}`,
			`line 11: remediation.actions[0].verify.probe.exporter: unknown field`},
		"bad module": {`
remediation:
  modules:
    http_2xx: {prober: htp}`, `line 5: remediation.modules.http_2xx.prober: "htp" is not one of`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := config.Parse([]byte(auth + c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
	if _, err := config.Parse([]byte(auth + "remediation:\n  actions:" + goodAction)); err != nil {
		t.Fatalf("a good action: %v", err)
	}
}

// `golive check-config` refuses a bad section and names the field, and
// accepts the shipped demo config.
func TestCheckConfigNamesTheField(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "receiver.yml")
	os.WriteFile(bad, []byte(auth+"remediation:\n  actions:\n    - {name: x, when: {priorities: [P0]}, kind: exec, exec: {argv: [/bin/echo, '{v}'], substitutions: {v: {label: v}}}, cooldown: 1m}\n"), 0o600)
	var out, errb bytes.Buffer
	code := checkconfig.Command(t.Context(), cli.Env{Args: []string{"--receiver", bad}, Stdout: &out, Stderr: &errb})
	if code != 1 || !strings.Contains(errb.String(), "remediation.actions[0].exec.substitutions.v.allow: required") {
		t.Fatalf("check-config: %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := checkconfig.Command(t.Context(), cli.Env{Args: []string{"--receiver", "../../deploy/examples/receiver.yml"}, Stdout: &out, Stderr: &errb}); code != 0 {
		t.Fatalf("the shipped demo config: %d %s", code, errb.String())
	}
	missing := filepath.Join(t.TempDir(), "receiver.yml")
	os.WriteFile(missing, []byte(auth+"remediation:\n  actions:\n    - {name: room, when: {priorities: [P0]}, kind: war_room, war_room: {bot_token_file: /nonexistent/bot.token}, cooldown: 1h}\n"), 0o600)
	if code := checkconfig.Command(t.Context(), cli.Env{Args: []string{"--receiver", missing}, Stdout: &out, Stderr: &errb}); code != 1 ||
		!strings.Contains(errb.String(), "bot_token_file") {
		t.Fatalf("a missing token file passed the check: %d %s", code, errb.String())
	}
}

// check-config resolves verify.probe.module against the exporter config
// the remediation section names (relative to the receiver config) and its
// own modules, and names the line of an unknown or twice-defined one.
func TestCheckConfigProbeModules(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "exporter.yml"), []byte("modules:\n  http_2xx: {prober: http}\n  tcp_connect: {prober: tcp}\n"), 0o600)
	check := func(modules, module string) (int, string) {
		t.Helper()
		path := filepath.Join(dir, "receiver.yml")
		os.WriteFile(path, []byte(auth+`remediation:
  exporter_config: exporter.yml
  `+modules+`
  actions:
    - name: restart
      when: {priorities: [P0]}
      kind: exec
      exec: {argv: [/bin/true]}
      cooldown: 1m
      verify:
        probe: {module: `+module+`, target: "http://127.0.0.1/health"}
`), 0o600)
		var out, errb bytes.Buffer
		code := checkconfig.Command(t.Context(), cli.Env{Args: []string{"--receiver", path}, Stdout: &out, Stderr: &errb})
		return code, out.String() + errb.String()
	}
	if code, out := check("modules: {own: {prober: http}}", "own"); code != 0 {
		t.Fatalf("a module of remediation.modules: %d %s", code, out)
	}
	if code, out := check("modules: {own: {prober: http}}", "tcp_connect"); code != 0 {
		t.Fatalf("a module of the exporter config: %d %s", code, out)
	}
	code, out := check("modules: {own: {prober: http}}", "http_3xx")
	if want := `line 12: remediation.actions[0].verify.probe.module: "http_3xx" is not a module of remediation.modules or remediation.exporter_config (have: http_2xx, own, tcp_connect)`; code != 1 || !strings.Contains(out, want) {
		t.Fatalf("an unknown module: %d\n%s\nwant %q", code, out, want)
	}
	// The defaults' own http_2xx does not clash with the exporter config's.
	if code, out := check("", "http_2xx"); code != 0 {
		t.Fatalf("http_2xx of the exporter config, no modules of its own: %d %s", code, out)
	}
	code, out = check("modules: {http_2xx: {prober: tcp}}", "http_2xx")
	if want := `remediation.modules.http_2xx: is defined twice (here and in the exporter config)`; code != 1 || !strings.Contains(out, want) {
		t.Fatalf("a module in both: %d\n%s\nwant %q", code, out, want)
	}
	os.Remove(filepath.Join(dir, "exporter.yml"))
	if code, out := check("modules: {own: {prober: http}}", "own"); code != 1 || !strings.Contains(out, "line 3: remediation.exporter_config:") {
		t.Fatalf("a missing exporter config: %d %s", code, out)
	}
}

// FuzzRemediationConfig: no input panics the decoder or the validation.
func FuzzRemediationConfig(f *testing.F) {
	f.Add("actions:" + goodAction)
	f.Add("actions: [{name: a, kind: http, when: {priorities: [P1]}, http: {url: 'http://x/{a}', substitutions: {a: {label: a, allow: '[a-z]+'}}}, cooldown: 1m}]")
	f.Add("dry_run: true\nrate_limit: {max: 3, per: 1h}\nactions: [{name: d, kind: diagnostics, diagnostics: {}, when: {priorities: [P2]}, max_attempts: {per_incident: 1}}]")
	f.Add("modules: {m: {prober: http}}\nactions: [{name: v, kind: exec, exec: {argv: [/bin/true]}, when: {priorities: [P0]}, cooldown: 1m, verify: {probe: {module: m, target: 'http://x/'}}}]")
	f.Add("actions: [{name: r, kind: service_restart, service_restart: {unit: '{s}.service'}, when: {priorities: [P0]}}]")
	f.Fuzz(func(t *testing.T, in string) {
		var c remediate.Config
		if err := yaml.Unmarshal([]byte(in), &c); err == nil {
			_ = c.Validate(nil)
		}
	})
}
