package client

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	got, err := parseConfig("/home/sre/.config/golive/golive.yml", []byte("receiver.url: http://r:9470\nreceiver.token-file: token\nhttp.config.file: /etc/golive/http.yml\noutput: json\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"receiver.url": "http://r:9470", "receiver.token-file": "/home/sre/.config/golive/token",
		"http.config.file": "/etc/golive/http.yml", "output": "json"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"receiver.url: x\nstate: closed\n", `line 2: unknown key "state"`},
		{"receiver.url: [a, b]\n", "line 1: receiver.url: want a single value"},
		{"- a\n", "want a mapping of flag names"},
		{"receiver.url: 'x\n", "golive.yml"},
	} {
		if _, err := parseConfig("golive.yml", []byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestSince(t *testing.T) {
	var s sinceValue
	if err := s.Set("7d"); err != nil || time.Since(s.t).Round(time.Hour) != 7*24*time.Hour {
		t.Errorf("7d: %v %v", s.t, err)
	}
	if err := s.Set("2026-01-02T03:04:05+01:00"); err != nil || !s.t.Equal(time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC)) {
		t.Errorf("RFC 3339: %v %v", s.t, err)
	}
	if err := s.Set("last week"); err == nil {
		t.Error("last week accepted")
	}
	var id idValue
	if err := id.Set("0"); err == nil || !strings.Contains(err.Error(), `"0" is not an incident ID`) {
		t.Errorf("id 0: %v", err)
	}
}
