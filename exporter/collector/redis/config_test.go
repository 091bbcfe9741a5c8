package redis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/secret"
	"gopkg.in/yaml.v3"
)

func secretOf(s string) secret.Secret { return secret.Secret(s) }

func TestConfigDefaults(t *testing.T) {
	var cfgs []Config
	if err := yaml.Unmarshal([]byte("- {name: main, address: 127.0.0.1:6379}\n"), &cfgs); err != nil {
		t.Fatal(err)
	}
	if got := cfgs[0]; got.Timeout != 5*time.Second || got.Databases != 16 || got.TLS {
		t.Errorf("defaults not applied: %+v", got)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{"address: 127.0.0.1:6379", "name is required"},
		{"name: a", `address is required`},
		{"name: a\naddress: localhost", `address "localhost" is neither host:port nor a redis://, rediss:// or unix:// URL`},
		{"name: a\naddress: http://x:1", `address is not a valid redis URL`},
		{"name: a\naddress: 127.0.0.1:6379\ntimeout: 0s", `timeout must be positive, got 0s`},
		{"name: a\naddress: 127.0.0.1:6379\ndatabases: 0", `databases: 0 is not between 1 and 4096`},
		{"name: a\naddress: 127.0.0.1:6379\npassword: x\npassword_file: /f", `password and password_file`},
		{"name: a\naddress: redis://:pw@h:1\npassword: x", `address holds a password and password or password_file is set too`},
		{"name: a\naddress: 127.0.0.1:6379\npasword: x", `line 3: pasword: unknown field`},
		{"name: a\naddress: 127.0.0.1:6379\ntls_config: {ca_fil: x}", `line 3: tls_config.ca_fil: unknown field`},
		{"name: a\naddress: 127.0.0.1:6379\ntls_config: {ca: x, ca_file: y}", `at most one of ca, ca_file & ca_ref must be configured`},
	}
	for _, tt := range tests {
		var c Config
		err := yaml.Unmarshal([]byte(tt.yaml), &c)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to contain %q", tt.yaml, err, tt.want)
		}
	}
}

func TestBadURLDoesNotLeakPassword(t *testing.T) {
	var c Config
	err := yaml.Unmarshal([]byte("name: a\naddress: redis://user:Hunter2Leak@host:notaport/0"), &c)
	if err == nil {
		t.Fatal("want an error for a bad port")
	}
	if strings.Contains(err.Error(), "Hunter2Leak") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestPasswordFileIsReadByNew(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig
	cfg.Name, cfg.Address, cfg.PasswordFile = "a", "127.0.0.1:6379", file
	opts, err := cfg.clientOptions()
	if err != nil || opts.Password != "from-file" {
		t.Fatalf("password = %q, err = %v", opts.Password, err)
	}
	cfg.PasswordFile = filepath.Join(t.TempDir(), "missing")
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "password_file") {
		t.Errorf("missing password_file: err = %v, want it to name password_file", err)
	}
}

func TestTLSOptions(t *testing.T) {
	cfg := DefaultConfig
	cfg.Name, cfg.Address = "a", "rediss://cache.example.com:6380"
	opts, err := cfg.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.TLSConfig == nil || opts.TLSConfig.ServerName != "cache.example.com" {
		t.Errorf("rediss:// must enable TLS with the host as server name, got %+v", opts.TLSConfig)
	}
	cfg.Address, cfg.TLS = "10.0.0.1:6380", true
	cfg.TLSConfig.ServerName = "redis.internal"
	cfg.TLSConfig.InsecureSkipVerify = true
	opts, err = cfg.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.TLSConfig == nil || opts.TLSConfig.ServerName != "redis.internal" || !opts.TLSConfig.InsecureSkipVerify {
		t.Errorf("tls: true with tls_config not applied: %+v", opts.TLSConfig)
	}
	cfg.TLS = false
	cfg.Address = "10.0.0.1:6380"
	opts, _ = cfg.clientOptions()
	if opts.TLSConfig != nil {
		t.Error("TLS on without tls: true or rediss://")
	}
}
