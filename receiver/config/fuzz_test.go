package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/golive-ops/golive/internal/yamlx"
)

// FuzzParse: any file is accepted or refused with an error that is located
// or names its field, never a panic (go test -fuzz=FuzzParse ./receiver/config/).
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil {
		f.Fatal(err)
	}
	files = append(files, "../../deploy/examples/receiver.yml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			var e *yamlx.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T (%v) is not a *yamlx.Error", err, err)
			}
			return
		}
		if c == nil {
			t.Fatal("neither a config nor an error")
		}
	})
}
