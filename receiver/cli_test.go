package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/webhook"
)

func TestIncidentsCommand(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no ~/.config/golive/golive.yml of the machine
	t.Setenv("TZ", "UTC")
	cfg := demoConfig(t)
	cfg.Auth = config.Auth{BearerToken: "cli-token"}
	a := startApp(t, cfg)
	var m webhook.Message
	if err := json.Unmarshal(payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1"), &m); err != nil {
		t.Fatal(err)
	}
	m.Alerts[0].Annotations = map[string]string{"summary": "5xx above 5% on web", "description": "62% of requests fail",
		"runbook_url": "https://runbooks.example/http-errors"}
	body, _ := json.Marshal(m)
	if code, body := post(t, a.url+DefaultWebhookPath, body, "Authorization", "Bearer cli-token"); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("cli-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		args = append([]string{"--receiver.url=" + a.url, "--receiver.token-file=" + tokenFile}, args...)
		code := IncidentsCommand(context.Background(), envFor(&out, &errb, args...))
		return code, out.String(), errb.String()
	}
	steps := []struct {
		args []string
		code int
		out  string
		not  string
	}{
		{[]string{"list"}, 0, "HTTPErrorRateHigh / web", ""},
		{[]string{"list", "--since=7d"}, 0, "HTTPErrorRateHigh / web", ""},
		{[]string{"list", "--since=2000-01-02T00:00:00Z"}, 0, " UTC", ""},
		{[]string{"list", "--since=soon"}, 2, "neither a duration", ""},
		{[]string{"-o", "extended", "list"}, 0, `{alertname="HTTPErrorRateHigh"`, ""},
		{[]string{"list", "--priority=P0"}, 0, "ID  PRIORITY", "HTTPErrorRateHigh"},
		{[]string{"close", "1"}, 1, "is new and cannot move to closed", ""},
		{[]string{"ack", "1", "--note=on it", "--actor=alice"}, 0, "[acknowledged]", ""},
		{[]string{"show", "1"}, 0, "new→acknowledged on it", "map["},
		{[]string{"show", "1"}, 0, "summary:     5xx above 5% on web", ""},
		{[]string{"show", "1"}, 0, "description: 62% of requests fail", ""},
		{[]string{"show", "1"}, 0, "runbook:     https://runbooks.example/http-errors", ""},
		{[]string{"note", "1", "rolled back", "--actor=bob"}, 0, "note                 bob        rolled back", ""},
		{[]string{"priority", "1", "P1", "--actor=bob"}, 0, "#1 P1 ", ""},
		{[]string{"priority", "1", "P3", "--actor=bob"}, 1, "needs a note", ""},
		{[]string{"priority", "1", "P9"}, 2, "P9", ""},
		{[]string{"assign", "1", "carol", "--actor=bob"}, 0, "assignee:   carol", ""},
		{[]string{"show", "1"}, 0, "assigned             bob        night-shift→carol", ""},
		{[]string{"--output=json", "show", "1"}, 0, `"state": "acknowledged"`, ""},
		{[]string{"resolve", "1"}, 0, "[resolved]", ""},
		{[]string{"assign", "1", "dave"}, 1, "only while it is open", ""},
		{[]string{"close", "1"}, 0, "[closed]", ""},
		{[]string{"list", "--state=closed"}, 0, "closed", ""},
		{[]string{"show", "x"}, 2, `"x" is not an incident ID`, ""},
		{[]string{"show"}, 2, "required argument 'id' not provided", ""},
		{[]string{"frobnicate"}, 2, "expected command but got \"frobnicate\"", ""},
		{[]string{"--help"}, 0, "assign", ""},
		{[]string{"show", "--help"}, 0, "golive incidents show <id>", ""},
		{[]string{"--version"}, 0, "golive, version", ""},
	}
	for _, s := range steps {
		code, out, errOut := run(s.args...)
		if code != s.code || !strings.Contains(out+errOut, s.out) || (s.not != "" && strings.Contains(out, s.not)) {
			t.Errorf("incidents %v: exit %d\nstdout: %s\nstderr: %s\nwant exit %d containing %q", s.args, code, out, errOut, s.code, s.out)
		}
	}
	var out, errb bytes.Buffer
	code := IncidentsCommand(context.Background(), envFor(&out, &errb, "--receiver.url="+a.url, "list"))
	if code != 1 || !strings.Contains(errb.String(), "401") {
		t.Fatalf("without the token: exit %d %s", code, errb.String())
	}
}

// The receiver's URL and token come from the environment or from
// ~/.config/golive/golive.yml when no flag gives them; a flag wins.
func TestIncidentsCommandEnvironmentAndConfigFile(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Auth = config.Auth{BearerToken: "cli-token"}
	a := startApp(t, cfg)
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	if err := os.MkdirAll(filepath.Join(home, "golive"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "golive", "token"), []byte("cli-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	configFile := filepath.Join(home, "golive", "golive.yml")
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := IncidentsCommand(context.Background(), envFor(&out, &out, args...))
		return code, out.String()
	}
	write := func(s string) {
		if err := os.WriteFile(configFile, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	write("receiver.url: " + a.url + "\nreceiver.token-file: token\noutput: json\n")
	if code, out := run("list"); code != 0 || !strings.HasPrefix(out, "[") {
		t.Errorf("from the config file: exit %d %s", code, out)
	}
	if code, out := run("-o", "simple", "list"); code != 0 || !strings.HasPrefix(out, "ID ") {
		t.Errorf("a flag over the config file: exit %d %s", code, out)
	}
	t.Setenv("GOLIVE_RECEIVER_URL", "http://127.0.0.1:1")
	if code, out := run("list"); code != 1 || !strings.Contains(out, "127.0.0.1:1") {
		t.Errorf("the environment over the config file: exit %d %s", code, out)
	}
	write("receiver.url: x\nreciever.token-file: token\n")
	if code, out := run("list"); code != 1 || !strings.Contains(out, `line 2: unknown key "reciever.token-file"`) {
		t.Errorf("a typo in the config file: exit %d %s", code, out)
	}
}
