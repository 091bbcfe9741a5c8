package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/cli"
)

// configHelp names the config file in help text.
const configHelp = "~/.config/golive/golive.yml"

// configFlags are the flags the config file may set.
var configFlags = []string{"receiver.url", "receiver.token-file", "http.config.file", "output", "timeout"}

// configPath is $XDG_CONFIG_HOME/golive/golive.yml, else
// ~/.config/golive/golive.yml ("" when neither can be found).
func configPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "golive", "golive.yml")
}

// applyConfigFile makes the config file's values the defaults of app's
// flags, so the command line and the environment still win (amtool's
// order). A missing file is fine; a bad one is an error naming its line.
func applyConfigFile(app *cli.App) error {
	path := configPath()
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	values, err := parseConfig(path, data)
	if err != nil {
		return err
	}
	for name, v := range values {
		app.GetFlag(name).Default(v)
	}
	return nil
}

// parseConfig reads a mapping of flag names to scalar values. File paths
// are relative to the config file.
func parseConfig(path string, data []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: line %d: want a mapping of flag names to values, e.g. receiver.url: http://receiver:9470", path, root.Line)
	}
	out := map[string]string{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !slices.Contains(configFlags, k.Value) {
			return nil, fmt.Errorf("%s: line %d: unknown key %q (want one of %s)", path, k.Line, k.Value, strings.Join(configFlags, ", "))
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s: line %d: %s: want a single value", path, v.Line, k.Value)
		}
		val := v.Value
		if strings.HasSuffix(k.Value, "file") && val != "" && !filepath.IsAbs(val) {
			val = filepath.Join(filepath.Dir(path), val)
		}
		out[k.Value] = val
	}
	return out, nil
}
