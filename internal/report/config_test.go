package report

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestConfigDefaultsAndErrors(t *testing.T) {
	var c Config
	if err := yaml.Unmarshal([]byte("to: [a@example.org]\nchannel: mail\nprometheus_url: http://127.0.0.1:9090\n"), &c); err != nil {
		t.Fatal(err)
	}
	if at, _ := c.Clock(); at.String() != "23h50m0s" || !c.Enabled() {
		t.Errorf("at = %s, enabled %v", at, c.Enabled())
	}
	for in, want := range map[string]string{
		"to: [a@example.org]\nchannel: mail\nprometheus_url: http://x:9090\nbackup_max_age: 0s\n": `report.backup_max_age: "0s" must be positive`,
		"disk_warning_days: -1\n":          "report.disk_warning_days: -1 must not be negative",
		"prometheus_url: \"http://a b\"\n": "report.prometheus_url",
		"at: \"7:5\"\n":                    `report.at: "7:5" is not a time of day HH:MM`,
		"\n\nto: [a@example.org]\n":        "line 3: report.channel: required with report.to",
		"certificate_warning_days: [1]\n":  "certificate_warning_days: must be a number",
	} {
		var c Config
		err := yaml.Unmarshal([]byte(in), &c)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

// FuzzConfig: any input decodes or is refused with an error; never a
// panic, and what decodes validates.
func FuzzConfig(f *testing.F) {
	for _, seed := range []string{
		"to: [a@example.org]\nchannel: mail\nprometheus_url: http://127.0.0.1:9090\nat: \"06:00\"\ntimezone: Asia/Shanghai\n",
		"at: \"24:00\"\n", "backup_max_age: 1d2h\n", "to: [\"\\u0000\"]\n", "{}", "[1, 2]", "timezone: ../../etc/passwd\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var c Config
		if err := yaml.Unmarshal([]byte(in), &c); err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("decoded %q but it does not validate: %v", in, err)
		}
	})
}
