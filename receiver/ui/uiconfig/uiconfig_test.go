package uiconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-ops/golive/internal/yamlx"
)

func TestInvalid(t *testing.T) {
	for src, want := range map[string]string{
		`users: {alice: hunter2}`: "ui.users.alice: not a bcrypt hash",
		`users: {"al ice": "$2a$10$OkdldQCo7qjos.wv6bJBdOrBlyecIg.Db3Z31qp9YzHeHzQk059zO"}`: `ui.users: "al ice" is not a user name`,
		`alertmanager_url: "javascript:alert(1)"`:                                           `ui.alertmanager_url: "javascript:alert(1)" is not an http(s) URL`,
		`grafana_url: "grafana:3000"`:                                                       `ui.grafana_url: "grafana:3000" is not an http(s) URL`,
		`refresh: 1s`:                                                                       "ui.refresh: must be at least 5s",
		`users: {}` + "\n" + `colour: blue`:                                                 "colour",
	} {
		var c Config
		err := yamlx.Strict(strings.NewReader(src), &c)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", src, err, want)
		}
	}
}

func TestValidAndDefaults(t *testing.T) {
	var c Config
	src := "users: {alice: \"$2a$10$OkdldQCo7qjos.wv6bJBdOrBlyecIg.Db3Z31qp9YzHeHzQk059zO\"}\nalertmanager_url: http://am:9093\nsession_key_file: key\n"
	if err := yamlx.Strict(strings.NewReader(src), &c); err != nil {
		t.Fatal(err)
	}
	if c.TTL() != DefaultSessionTTL || c.RefreshEvery() != DefaultRefresh {
		t.Errorf("defaults: %s %s", c.TTL(), c.RefreshEvery())
	}
	dir := t.TempDir()
	c.RelativeTo(dir)
	if c.SessionKeyFile != filepath.Join(dir, "key") {
		t.Fatalf("session_key_file = %s", c.SessionKeyFile)
	}
	if err := os.WriteFile(c.SessionKeyFile, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SessionKey(); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("short key: %v", err)
	}
	key := strings.Repeat("k", 40)
	if err := os.WriteFile(c.SessionKeyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := c.SessionKey(); err != nil || string(k) != key {
		t.Fatalf("key = %q, %v", k, err)
	}
}
