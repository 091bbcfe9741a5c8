package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The shipped demo config is valid and spells out exactly the defaults.
func TestExampleIsTheDefaults(t *testing.T) {
	c, err := Load("../../deploy/examples/receiver.yml")
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	d.Auth.InsecureAllowUnauthenticatedLoopback = true
	d.ExternalURL = "http://127.0.0.1:9470"
	d.Gate = c.Gate // the demo's go-live gate is checked in receiver/gate
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Grading, d.Grading) {
		t.Errorf("example grading differs from RunbookRules():\n got %+v\nwant %+v", c.Grading, d.Grading)
	}
	if !reflect.DeepEqual(c, &d) {
		t.Errorf("example differs from the defaults:\n got %+v\nwant %+v", c, d)
	}
}

func TestMinimalConfigGetsDefaults(t *testing.T) {
	c, err := Parse([]byte("auth: {bearer_token: t0k}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.SQLite == nil || c.Storage.SQLite.Path != DefaultPath {
		t.Fatalf("storage = %+v, want SQLite at %s", c.Storage, DefaultPath)
	}
	if len(c.Grading.Rules) != len(RunbookRules()) || c.SLA.Targets["P0"].Response.String() != "15m" {
		t.Fatalf("defaults missing: %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	const auth = "auth: {bearer_token: x}\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", auth + "webhok: {}\n", `unknown field "webhok"`},
		{"two documents", auth + "---\n" + auth, "only one YAML document is allowed"},
		{"empty file", "", "empty document"},
		{"no auth", "webhook: {max_alerts: 10}\n", "auth: no credentials configured"},
		{"both token forms", "auth: {bearer_token: x, bearer_token_file: f}\n", "set bearer_token or bearer_token_file, not both"},
		{"disabled and creds", "auth: {bearer_token: x, disabled: true}\n", "auth.disabled: credentials are configured too"},
		{"basic without user", "auth: {basic_auth: {password: p}}\n", "auth.basic_auth.username: required"},
		{"both storages", auth + "storage: {sqlite: {path: a}, postgres: {dsn: b}}\n", "storage: set sqlite or postgres, not both"},
		{"postgres without dsn", auth + "storage: {postgres: {}}\n", "storage.postgres: dsn_file (or dsn) is required"},
		{"webhook path", auth + "webhook: {path: hooks}\n", `webhook.path: "hooks" must start with /`},
		{"webhook path collides", auth + "webhook: {path: /metrics}\n", "collides with the receiver's own routes"},
		{"zero body", auth + "webhook: {max_body_bytes: 0}\n", "webhook.max_body_bytes: must be positive"},
		{"bad duration", auth + "incidents: {reopen_window: soon}\n", `not a valid duration string: "soon"`},
		{"empty group label", auth + "incidents: {group_by: [\"service|\"]}\n", `incidents.group_by[0]: "service|" has an empty label name`},
		{"value source", auth + "incidents: {value_from: [value]}\n", `incidents.value_from[0]: "value": want labels.<name> or annotations.<name>`},
		{"bad default", auth + "grading: {default: P9}\n", `grading.default: "P9" is not one of P0, P1, P2, P3`},
		{"rule without name", auth + "grading: {rules: [{priority: P1, matchers: ['a=\"b\"']}]}\n", "grading.rules[0].name: required"},
		{"duplicate rule", auth + "grading: {rules: [{name: a, priority: P1, matchers: ['a=\"b\"']}, {name: a, priority: P1, matchers: ['a=\"b\"']}]}\n", `grading.rules[1].name: "a" is used twice`},
		{"rule priority", auth + "grading: {rules: [{name: a, priority: high, matchers: ['a=\"b\"']}]}\n", `grading.rules[0] (a).priority: "high"`},
		{"bad matcher", auth + "grading: {rules: [{name: a, priority: P1, matchers: ['a=~\"(\"']}]}\n", "grading.rules[0] (a).matchers[0]"},
		{"no matcher", auth + "grading: {rules: [{name: a, priority: P1}]}\n", "grading.rules[0] (a).matchers: at least one is required"},
		{"bad op", auth + "grading: {rules: [{name: a, priority: P1, matchers: ['a=\"b\"'], value: {op: '=>', threshold: 1}}]}\n", `grading.rules[0] (a).value.op: "=>"`},
		{"missing target", auth + "sla: {targets: {P5: {response: 1m, resolution: 2m}}}\n", `sla.targets: "P5" is not one of`},
		{"resolution shorter", auth + "sla: {targets: {P0: {response: 1h, resolution: 30m}}}\n", "sla.targets.P0.resolution: 30m is shorter than the response time 1h"},
		{"hours reversed", auth + "sla: {business_hours: {start: '18:00', end: '09:00'}}\n", "sla.business_hours.end: 09:00 is not after start 18:00"},
		{"bad day", auth + "sla: {business_hours: {days: [monday]}}\n", `sla.business_hours.days: "monday" is not one of`},
		{"bad zone", auth + "sla: {business_hours: {timezone: Mars/Olympus}}\n", "sla.business_hours.timezone"},
		{"bad clock", auth + "oncall: {day_start: '9am'}\n", `oncall.day_start: "9am" is not a time of day HH:MM`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestSecretsFromFilesAndNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("tok-3141\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "r.yml")
	body := "auth: {bearer_token_file: token}\nstorage: {postgres: {dsn: 'postgres://u:pg-2718@h/db'}}\n"
	if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.ResolveSecrets()
	if err != nil {
		t.Fatal(err)
	}
	if s.BearerToken.Value() != "tok-3141" || s.PostgresDSN.Value() != "postgres://u:pg-2718@h/db" {
		t.Fatalf("secrets not resolved: token from a file relative to the config")
	}
	for _, out := range []string{fmtAll(c), fmtAll(s)} {
		if strings.Contains(out, "tok-3141") || strings.Contains(out, "pg-2718") {
			t.Fatalf("a secret leaked when printing: %s", out)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "token"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResolveSecrets(); err == nil || !strings.Contains(err.Error(), "auth.bearer_token_file: the file is empty") {
		t.Fatalf("empty token file: %v", err)
	}
}
