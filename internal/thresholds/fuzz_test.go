package thresholds

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/golive-ops/golive/internal/yamlx"
)

// FuzzParse: any file is accepted or refused with located errors, never a
// panic; what is accepted writes back to a file that parses again
// (go test -fuzz=FuzzParse ./internal/thresholds/).
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var def bytes.Buffer
	if err := Default().WriteYAML(&def); err != nil {
		f.Fatal(err)
	}
	f.Add(def.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := Parse(data)
		if err != nil {
			var e *yamlx.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T (%v) is not located", err, err)
			}
			return
		}
		var buf bytes.Buffer
		if err := th.WriteYAML(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(buf.Bytes()); err != nil {
			t.Fatalf("written file does not parse: %v\n%s", err, buf.String())
		}
	})
}
