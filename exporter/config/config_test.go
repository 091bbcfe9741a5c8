package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"invalid-host-unknown-field.yml", `line 4: host.filesystem.mount_timout: unknown field (did you mean mount_timeout?)`},
		{"invalid-services-unknown-field.yml", `line 4: services.bakend: unknown field (did you mean backend?)`},
		{"invalid-backups-unknown-field.yml", `line 4: backups[0].patern: unknown field (did you mean pattern?)`},
		{"invalid-host-duration.yml", `line 4: host.filesystem.mount_timeout: "1.5s" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w`},
		{"invalid-postgres-port.yml", `line 4: postgres[0].port: 70000 is out of range 1-65535`},
		{"invalid-bool.yml", `line 4: redis[0].tls: "maybe" is not a boolean`},
		{"invalid-duplicate-key.yml", `line 4: redis[0].address: is defined twice (first at line 3)`},
		{"invalid-duplicate-section.yml", `line 7: postgres: is defined twice (first at line 1)`},
		{"invalid-duration-unit.yml", `line 4: redis[0].timeout: "15x" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w`},
		{"invalid-global-duration.yml", `line 2: global.scrape_timeout: "soon" is not a duration such as 500ms, 30s, 5m, 1h30m, 1d or 1w`},
		{"invalid-global-offset.yml", `line 3: global.scrape_timeout_offset: 1s must be less than scrape_timeout 1s`},
		{"invalid-long-name.yml", `line 2: redis[0].name: is 200 bytes long; a name has at most 128`},
		{"invalid-module-prober.yml", `line 3: modules.ftp.prober: "ftp" is not one of dns, http, icmp, postgres, redis, tcp`},
		{"invalid-module-regexp.yml", `line 7: modules.http_2xx.http.fail_if_body_matches_regexp[1]: invalid regular expression "(unclosed": error parsing regexp: missing closing ): ` + "`(unclosed`"},
		{"invalid-not-mapping.yml", `line 1: must be a mapping of keys to values, not a list`},
		{"invalid-null-list-item.yml", `line 4: postgres[1]: name is required`},
		{"invalid-postgres-dsn-file.yml", `line 3: postgres[0].dsn_file: open /nonexistent/golive-postgres-dsn: no such file or directory`},
		{"invalid-postgres-duplicate-name.yml", `line 4: postgres[1].name: "primary" is already used by postgres[0]`},
		{"invalid-probe-duplicate-target.yml", `line 8: probes[1].targets: "127.0.0.1:5432" is already probed with module "tcp_connect" by probes[0]`},
		{"invalid-probe-module.yml", `line 5: probes[0].module: "http_3xx" is not defined in modules (have: http_2xx)`},
		{"invalid-probe-no-targets.yml", `line 6: probes[0].targets: must list at least one target`},
		{"invalid-redis-databases.yml", `line 4: redis[0].databases: 1000000 is not between 1 and 4096`},
		{"invalid-redis-duplicate-name.yml", `line 4: redis[1].name: "main" is already used by redis[0]`},
		{"invalid-redis-not-list.yml", `line 2: redis: must be a list, not a mapping`},
		{"invalid-redis-password-file.yml", `line 4: redis[0].password_file: open /nonexistent/golive-redis-password: no such file or directory`},
		{"invalid-second-document.yml", `line 4: a second YAML document starts here: a config file holds exactly one`},
		{"invalid-sqlcheck-postgres.yml", `line 6: sql_checks[0].postgres: "replica" is not the name of a postgres entry (have: primary)`},
		{"invalid-sqlcheck-two-statements.yml", `line 7: sql_checks[0].query: holds more than one SQL statement; a check runs exactly one query`},
		{"invalid-type-list.yml", `line 4: redis[0].databases: must be an integer, not a list`},
		{"invalid-unknown-field.yml", `line 4: postgres[0].timout: unknown field (did you mean timeout?)`},
		{"invalid-unknown-module-field.yml", `line 5: modules.http_2xx.retries: unknown field`},
		{"invalid-unknown-section.yml", `line 3: hosts: unknown field (did you mean host?)`},
		{"invalid-yaml.yml", `line 2: invalid YAML: did not find expected key`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want error %q", path, tt.want)
			}
			if want := path + ": " + tt.want; err.Error() != want {
				t.Errorf("Load(%s) error:\n got: %s\nwant: %s", path, err, want)
			}
		})
	}
}

// Every invalid-*.yml must be in the table, so a new fixture cannot go
// untested.
func TestEveryInvalidFixtureIsTested(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("config_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.Contains(string(src), `"`+filepath.Base(f)+`"`) {
			t.Errorf("%s has no expected error in TestLoadInvalid", f)
		}
	}
}

func TestLoadGood(t *testing.T) {
	cfg, err := Load("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Global.ScrapeTimeout != 15*time.Second {
		t.Errorf("scrape_timeout = %s, want 15s from the file", cfg.Global.ScrapeTimeout)
	}
	if cfg.Global.ScrapeTimeoutOffset != DefaultGlobal.ScrapeTimeoutOffset {
		t.Errorf("scrape_timeout_offset = %s, want the default %s", cfg.Global.ScrapeTimeoutOffset, DefaultGlobal.ScrapeTimeoutOffset)
	}
	if cfg.Host == nil || !cfg.Host.Enabled {
		t.Errorf("host = %+v, want enabled", cfg.Host)
	}
	if cfg.Services == nil || len(cfg.Services.Names) != 2 {
		t.Errorf("services = %+v, want two names", cfg.Services)
	}
	if len(cfg.Postgres) != 2 || cfg.Postgres[1].Name != "replica" {
		t.Errorf("postgres = %v, want primary and replica", cfg.Postgres)
	}
	if len(cfg.SQLChecks) != 1 || cfg.SQLChecks[0].Postgres != "replica" {
		t.Errorf("sql_checks = %+v", cfg.SQLChecks)
	}
	if m, ok := cfg.Modules["http_2xx"]; !ok || m.Prober != "http" || m.Timeout != 5*time.Second {
		t.Errorf("modules.http_2xx = %+v", m)
	}
	if len(cfg.Probes) != 2 || len(cfg.Probes[0].Targets) != 2 {
		t.Errorf("probes = %+v", cfg.Probes)
	}
}

func TestParseEmptyGivesDefaults(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "---\n"} {
		cfg, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if cfg.Global != DefaultGlobal || cfg.Host != nil || cfg.Services != nil || len(cfg.Probes) != 0 {
			t.Errorf("Parse(%q) = %+v, want only defaults", in, cfg)
		}
	}
}

func TestGlobalDefaultsFillPartialSection(t *testing.T) {
	cfg, err := Parse([]byte("global:\n  scrape_timeout_offset: 1s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Global.ScrapeTimeout != DefaultGlobal.ScrapeTimeout || cfg.Global.ScrapeTimeoutOffset != time.Second {
		t.Errorf("global = %+v", cfg.Global)
	}
}

const (
	pgPassword    = "pg-pass-7f3a9c"
	redisPassword = "redis-pass-2b8e41"
)

// secretConfig holds secrets inline; extra is appended to break it.
func secretConfig(extra string) []byte {
	return []byte(`postgres:
  - name: primary
    dsn: postgres://golive:` + pgPassword + `@127.0.0.1:5432/postgres?sslmode=disable
redis:
  - name: main
    address: 127.0.0.1:6379
    password: ` + redisPassword + "\n" + extra)
}

func TestSecretsNeverShown(t *testing.T) {
	cfg, err := Parse(secretConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	dump := cfg.String()
	if !strings.Contains(dump, "<secret>") {
		t.Errorf("dump does not show <secret> for the secrets:\n%s", dump)
	}
	for _, s := range []string{pgPassword, redisPassword} {
		if strings.Contains(dump, s) {
			t.Errorf("config dump leaks %q:\n%s", s, dump)
		}
	}

	for _, extra := range []string{
		"  - name: main\n    address: 127.0.0.1:6380\n",                       // duplicate name
		"sql_checks:\n  - name: x\n    postgres: nope\n    query: SELECT 1\n", // dangling reference
		"  - name: other\n    address: 127.0.0.1:6381\n    passwrd: x\n",      // unknown field
		"global:\n  scrape_timeout: " + redisPassword + "\n",                  // the secret in a typed field
	} {
		_, err := Parse(secretConfig(extra))
		if err == nil {
			t.Fatalf("Parse with %q succeeded, want an error", extra)
		}
		for _, s := range []string{pgPassword, redisPassword} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error leaks %q: %v", s, err)
			}
		}
	}
}

// A 1 MB name is refused by the decoder's value limit, before any section
// sees it.
func TestHugeNameRefused(t *testing.T) {
	src := "redis:\n  - name: " + strings.Repeat("r", 1<<20) + "\n    address: 127.0.0.1:6379\n"
	_, err := Parse([]byte(src))
	if want := "line 2: redis[0].name: the value is 1048576 bytes long, more than the 65536 allowed"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}
