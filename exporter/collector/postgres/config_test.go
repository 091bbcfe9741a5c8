package postgres

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestConfigDecoding(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	dsnFile := filepath.Join(dir, "dsn")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dsnFile, []byte("postgres://u@db.example:6432/app\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, yaml string
		wantErr    string
		check      func(t *testing.T, c Config)
	}{
		{
			name: "dsn with defaults",
			yaml: "name: primary\ndsn: postgres://u@127.0.0.1/test",
			check: func(t *testing.T, c Config) {
				if c.Timeout != 5*time.Second || c.MaxConns != 3 {
					t.Errorf("defaults not applied: timeout %v max_conns %d", c.Timeout, c.MaxConns)
				}
			},
		},
		{
			name: "fields with password_file",
			yaml: "name: r\nhost: db.example\nport: 6432\nuser: mon\npassword_file: " + pwFile + "\ndatabase: app\nsslmode: require\ntimeout: 2s\nmax_conns: 1",
			check: func(t *testing.T, c Config) {
				pc, err := c.PoolConfig()
				if err != nil {
					t.Fatal(err)
				}
				cc := pc.ConnConfig
				if cc.Host != "db.example" || cc.Port != 6432 || cc.User != "mon" || cc.Database != "app" || cc.Password != "from-file" {
					t.Errorf("conn config = %s:%d user %s db %s", cc.Host, cc.Port, cc.User, cc.Database)
				}
				if cc.ConnectTimeout != 2*time.Second || pc.MaxConns != 1 || pc.MinConns != 0 {
					t.Errorf("connect timeout %v, max %d, min %d", cc.ConnectTimeout, pc.MaxConns, pc.MinConns)
				}
				if cc.RuntimeParams["application_name"] != "golive" || pc.AfterConnect == nil {
					t.Errorf("runtime params = %v, AfterConnect set: %v", cc.RuntimeParams, pc.AfterConnect != nil)
				}
			},
		},
		{
			name: "host defaults",
			yaml: "name: r\nhost: 127.0.0.1",
			check: func(t *testing.T, c Config) {
				pc, err := c.PoolConfig()
				if err != nil {
					t.Fatal(err)
				}
				if pc.ConnConfig.Port != 5432 || pc.ConnConfig.Database != "postgres" {
					t.Errorf("port %d db %s", pc.ConnConfig.Port, pc.ConnConfig.Database)
				}
			},
		},
		{
			name: "dsn_file plus password completes the dsn",
			yaml: "name: r\ndsn_file: " + dsnFile + "\npassword: pw",
			check: func(t *testing.T, c Config) {
				pc, err := c.PoolConfig()
				if err != nil {
					t.Fatal(err)
				}
				if pc.ConnConfig.Host != "db.example" || pc.ConnConfig.Port != 6432 || pc.ConnConfig.Password != "pw" {
					t.Errorf("conn config = %+v", pc.ConnConfig)
				}
			},
		},
		{
			name: "dsn application_name wins",
			yaml: "name: r\ndsn: postgres://u@127.0.0.1/test?application_name=mine",
			check: func(t *testing.T, c Config) {
				pc, _ := c.PoolConfig()
				if got := pc.ConnConfig.RuntimeParams["application_name"]; got != "mine" {
					t.Errorf("application_name = %q", got)
				}
			},
		},
		{name: "no name", yaml: "dsn: postgres://x", wantErr: "name is required"},
		{name: "no source", yaml: "name: a", wantErr: "exactly one of dsn, dsn_file or host"},
		{name: "two sources", yaml: "name: a\ndsn: postgres://x\nhost: y", wantErr: "exactly one of dsn, dsn_file or host"},
		{name: "dsn and dsn_file", yaml: "name: a\ndsn: postgres://x\ndsn_file: " + dsnFile, wantErr: "dsn and dsn_file"},
		{name: "dsn with user", yaml: "name: a\ndsn: postgres://x\nuser: u", wantErr: "with dsn put them in the dsn"},
		{name: "bad sslmode", yaml: "name: a\nhost: h\nsslmode: maybe", wantErr: `sslmode "maybe" is not one of`},
		{name: "bad port", yaml: "name: a\nhost: h\nport: 70000", wantErr: "port 70000 is out of range"},
		{name: "zero timeout", yaml: "name: a\nhost: h\ntimeout: 0s", wantErr: "timeout must be positive"},
		{name: "max_conns", yaml: "name: a\nhost: h\nmax_conns: 0", wantErr: "max_conns 0 is out of range"},
		{name: "password twice", yaml: "name: a\nhost: h\npassword: x\npassword_file: " + pwFile, wantErr: "password and password_file"},
		{name: "missing password_file", yaml: "name: a\nhost: h\npassword_file: " + filepath.Join(dir, "nope"), wantErr: "password_file:"},
		{name: "unknown field", yaml: "name: a\nhost: h\npasword_file: x", wantErr: `line 3: pasword_file: unknown field`},
		{name: "bad duration", yaml: "name: a\nhost: h\ntimeout: soon", wantErr: "soon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			err := yaml.Unmarshal([]byte(tc.yaml), &c)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestConfigMarshalHidesSecrets(t *testing.T) {
	c := Config{Name: "a", DSN: "postgres://u:hunter2@h/db", Password: "hunter3"}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter") {
		t.Errorf("marshalled config shows a secret:\n%s", out)
	}
}
