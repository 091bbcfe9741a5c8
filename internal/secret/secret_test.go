package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSecretNeverPrintsItsValue(t *testing.T) {
	s := Secret("hunter2")
	for name, got := range map[string]string{
		"%s":  fmt.Sprintf("%s", s),
		"%v":  fmt.Sprintf("%v", s),
		"%#v": fmt.Sprintf("%#v", s),
		"%+v": fmt.Sprintf("%+v", struct{ P Secret }{s}),
	} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("%s leaked the secret: %q", name, got)
		}
	}
	y, err := yaml.Marshal(struct {
		P Secret `yaml:"p"`
	}{s})
	if err != nil || strings.Contains(string(y), "hunter2") || !strings.Contains(string(y), Redacted) {
		t.Errorf("yaml = %q, %v", y, err)
	}
	j, err := json.Marshal(struct{ P Secret }{s})
	if err != nil || strings.Contains(string(j), "hunter2") {
		t.Errorf("json = %q, %v", j, err)
	}
	if s.Value() != "hunter2" {
		t.Errorf("Value() = %q", s.Value())
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOLIVE_TEST_SECRET", "from-env")

	got, err := Resolve("password", "", file, "GOLIVE_TEST_SECRET")
	if err != nil || got.Value() != "from-file" {
		t.Errorf("file: %q, %v", got.Value(), err)
	}
	got, err = Resolve("password", "inline", "", "GOLIVE_TEST_SECRET")
	if err != nil || got.Value() != "inline" {
		t.Errorf("inline: %q, %v", got.Value(), err)
	}
	got, err = Resolve("password", "", "", "GOLIVE_TEST_SECRET")
	if err != nil || got.Value() != "from-env" {
		t.Errorf("env: %q, %v", got.Value(), err)
	}
	if _, err = Resolve("password", "inline", file, ""); !errors.Is(err, ErrBoth) {
		t.Errorf("both set: err = %v, want ErrBoth", err)
	}
	_, err = Resolve("password", "", filepath.Join(dir, "missing"), "")
	if err == nil || !strings.Contains(err.Error(), "password_file") {
		t.Errorf("missing file: err = %v, want it to name password_file", err)
	}
}
