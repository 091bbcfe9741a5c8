package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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

// TestInvalid loads every testdata/invalid-*.yml and compares the whole
// message: the line of the offending key or value, its full path, and what
// is wrong.
func TestInvalid(t *testing.T) {
	tests := []struct{ file, want string }{
		{"invalid-bad-clock.yml", `line 4: oncall.day_start: "9am" is not a time of day HH:MM`},
		{"invalid-bad-day.yml", `line 6: sla.business_hours.days[0]: "monday" is not one of mon, tue, wed, thu, fri, sat, sun`},
		{"invalid-bad-default.yml", `line 4: grading.default: "P9" is not one of P0, P1, P2, P3`},
		{"invalid-bad-duration.yml", `line 4: incidents.reopen_window: "soon" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w`},
		{"invalid-bad-matcher.yml", `line 8: grading.rules[0].matchers[0]: "a=~\"(\"": error parsing regexp: missing closing ): ` + "`^(?:()$`"},
		{"invalid-bad-op.yml", `line 10: grading.rules[0].value.op: "=>" is not one of > >= < <= == !=`},
		{"invalid-bad-zone.yml", `line 5: sla.business_hours.timezone: unknown time zone Mars/Olympus`},
		{"invalid-basic-without-user.yml", `line 2: auth.basic_auth.username: required`},
		{"invalid-bool.yml", `line 2: auth.disabled: "maybe" is not a boolean`},
		{"invalid-both-storages.yml", `line 3: storage: set sqlite or postgres, not both`},
		{"invalid-both-token-forms.yml", `line 3: auth.bearer_token_file: set bearer_token or bearer_token_file, not both`},
		{"invalid-business-hours-start.yml", `line 6: sla.business_hours.start: "09:61" is not a time of day HH:MM`},
		{"invalid-disabled-and-creds.yml", `line 3: auth.disabled: credentials are configured too; remove one or the other`},
		{"invalid-duplicate-rule.yml", `line 9: grading.rules[1].name: "a" is used twice`},
		{"invalid-duplicate-section.yml", `line 5: auth: is defined twice (first at line 1)`},
		{"invalid-duration-unit.yml", `line 5: incidents.reopen_window: "15x" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w`},
		{"invalid-empty-file.yml", `auth: no credentials configured: set bearer_token_file or basic_auth (or insecure_allow_unauthenticated_loopback: true for a local demo, or disabled: true behind an authenticating proxy)`},
		{"invalid-empty-group-label.yml", `line 5: incidents.group_by[0]: "service|" has an empty label name`},
		{"invalid-hours-reversed.yml", `line 6: sla.business_hours.end: 09:00 is not after start 18:00`},
		{"invalid-matcher-line.yml", `line 9: grading.rules[0].matchers[1]: "c=~\"(\"": error parsing regexp: missing closing ): ` + "`^(?:()$`"},
		{"invalid-max-alerts.yml", `line 4: webhook.max_alerts: 100000000 is not between 1 and 1000000`},
		{"invalid-missing-dsn-file.yml", `line 5: storage.postgres.dsn_file: open testdata/nonexistent-dsn: no such file or directory`},
		{"invalid-missing-target.yml", `line 4: sla.targets: "P5" is not one of P0, P1, P2, P3`},
		{"invalid-missing-token-file.yml", `line 2: auth.bearer_token_file: open testdata/nonexistent-token: no such file or directory`},
		{"invalid-no-auth.yml", `auth: no credentials configured: set bearer_token_file or basic_auth (or insecure_allow_unauthenticated_loopback: true for a local demo, or disabled: true behind an authenticating proxy)`},
		{"invalid-no-matcher.yml", `line 5: grading.rules[0].matchers: at least one is required`},
		{"invalid-notify-route.yml", `line 12: notify.routes[0].channels[1]: channel "pager" is not defined in notify.channels`},
		{"invalid-postgres-without-dsn.yml", `line 4: storage.postgres: dsn_file (or dsn) is required`},
		{"invalid-resolution-shorter.yml", `line 7: sla.targets.P0.resolution: 30m is shorter than the response time 1h`},
		{"invalid-retention-batch-size.yml", `line 5: retention.batch_size: 0 is not between 1 and 10000`},
		{"invalid-rotation-every.yml", `line 12: oncall.schedule.shifts[0].rotation.every: 30m is shorter than 1h`},
		{"invalid-rule-priority.yml", `line 6: grading.rules[0].priority: "high" is not one of P0, P1, P2, P3`},
		{"invalid-rule-without-name.yml", `line 5: grading.rules[0].name: required`},
		{"invalid-shift-time.yml", `line 9: oncall.schedule.shifts[0].end: "25:00" is not a time of day HH:MM between 00:00 and 24:00`},
		{"invalid-two-documents.yml", `line 2: a second YAML document starts here: a config file holds exactly one`},
		{"invalid-unknown-field.yml", `line 3: webhok: unknown field (did you mean webhook?)`},
		{"invalid-value-source.yml", `line 5: incidents.value_from[0]: "value": want labels.<name> or annotations.<name>`},
		{"invalid-webhook-path-collides.yml", `line 4: webhook.path: "/metrics" collides with the receiver's own routes`},
		{"invalid-webhook-path.yml", `line 4: webhook.path: "hooks" must start with / and hold no spaces or braces`},
		{"invalid-zero-body.yml", `line 4: webhook.max_body_bytes: 0 is not between 1 and 268435456`},
	}
	listed := map[string]bool{}
	for _, tc := range tests {
		listed[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			_, err := Load(path)
			if err == nil {
				t.Fatalf("accepted, want %q", tc.want)
			}
			if want := path + ": " + tc.want; err.Error() != want {
				t.Errorf("error\n got: %s\nwant: %s", err, want)
			}
		})
	}
	files, err := filepath.Glob("testdata/invalid-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no expected error in the table", f)
		}
	}
}

// One duration syntax everywhere: Prometheus's, days and weeks included,
// for model.Duration and time.Duration fields alike.
func TestDurationsArePrometheus(t *testing.T) {
	src := `auth: {bearer_token: x}
incidents: {reopen_window: 1d}
sla: {check_interval: 1m30s}
oncall:
  schedule:
    name: ops
    shifts:
      - {name: day, start: '09:00', end: '18:00', rotation: {people: [ann, bob], every: 1w}}
`
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(c.Incidents.ReopenWindow); got != 24*time.Hour {
		t.Errorf("reopen_window = %v, want 24h", got)
	}
	if got := time.Duration(c.SLA.CheckInterval); got != 90*time.Second {
		t.Errorf("check_interval = %v, want 1m30s", got)
	}
	if got := c.OnCall.Schedule.Shifts[0].Rotation.Every; got != 7*24*time.Hour {
		t.Errorf("rotation.every = %v, want 168h", got)
	}
}

func TestHugeValueRefused(t *testing.T) {
	_, err := Parse([]byte("auth: {bearer_token: x}\nexternal_url: " + strings.Repeat("u", 1<<20) + "\n"))
	if want := "line 2: external_url: the value is 1048576 bytes long, more than the 65536 allowed"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
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
