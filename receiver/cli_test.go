package receiver

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/config"
)

func TestIncidentsCommand(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Auth = config.Auth{BearerToken: "cli-token"}
	a := startApp(t, cfg)
	if code, body := post(t, a.url+DefaultWebhookPath, payload(t, "am-0", "firing", time.Now().Add(-time.Minute), "fp1"),
		"Authorization", "Bearer cli-token"); code != 200 {
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
	}{
		{[]string{"list"}, 0, "HTTPErrorRateHigh / web"},
		{[]string{"list", "--priority=P3"}, 0, "ID  PRIORITY"},
		{[]string{"close", "1"}, 1, "is new and cannot move to closed"},
		{[]string{"ack", "1", "--note=on it", "--actor=alice"}, 0, "[acknowledged]"},
		{[]string{"show", "1"}, 0, "new→acknowledged on it"},
		{[]string{"--output=json", "show", "1"}, 0, `"state": "acknowledged"`},
		{[]string{"resolve", "1"}, 0, "[resolved]"},
		{[]string{"close", "1"}, 0, "[closed]"},
		{[]string{"list", "--state=closed"}, 0, "closed"},
		{[]string{"show", "x"}, 2, `"x" is not an incident ID`},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	}
	for _, s := range steps {
		code, out, errOut := run(s.args...)
		if code != s.code || !strings.Contains(out+errOut, s.out) {
			t.Errorf("incidents %v: exit %d\nstdout: %s\nstderr: %s\nwant exit %d containing %q", s.args, code, out, errOut, s.code, s.out)
		}
	}
	var out, errb bytes.Buffer
	code := IncidentsCommand(context.Background(), envFor(&out, &errb, "--receiver.url="+a.url, "list"))
	if code != 1 || !strings.Contains(errb.String(), "401") {
		t.Fatalf("without the token: exit %d %s", code, errb.String())
	}
}
