package backup

import (
	"errors"
	"fmt"
	"github.com/golive-ops/golive/internal/yamlx"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Config is one entry of the backups list: one backup location.
type Config struct {
	// Name is the value of the backup label.
	Name string `yaml:"name"`
	// Path is the directory the backups are written to.
	Path string `yaml:"path"`
	// Pattern selects backup files by base name (filepath.Match); default "*".
	Pattern string `yaml:"pattern"`
	// Checksum, when set, verifies the newest backup against a SHA-256.
	Checksum *Checksum `yaml:"checksum"`
	// RestoreMarker is a file a successful restore test touches.
	RestoreMarker string `yaml:"restore_marker"`
	// OffsitePath is a directory holding the off-site copies (a mount of the
	// remote storage); files there are matched with OffsitePattern.
	OffsitePath    string `yaml:"offsite_path"`
	OffsitePattern string `yaml:"offsite_pattern"` // default: Pattern
}

// Checksum names where the expected SHA-256 of a backup is: exactly one of a
// sidecar file per backup, or one manifest for all.
type Checksum struct {
	// Sidecar: "<backup>.sha256" next to the backup, as `sha256sum` writes it.
	Sidecar bool `yaml:"sidecar"`
	// Manifest: a sha256sum-format file listing the backups by name (a
	// relative path is relative to Path).
	Manifest string `yaml:"manifest"`
}

// UnmarshalYAML applies the defaults and validates. Unknown keys are
// rejected by exporter/config, which walks the whole document.
func (c *Config) UnmarshalYAML(value *yaml.Node) error {
	*c = Config{}
	type plain Config
	if err := yamlx.DecodeStrict(value, (*plain)(c)); err != nil {
		return err
	}
	return c.validate()
}

// validate fills in defaults and checks every field, naming it on error.
func (c *Config) validate() error {
	if c.Name == "" {
		return errors.New("name must not be empty")
	}
	if c.Path == "" {
		return fmt.Errorf("backup %q: path must not be empty", c.Name)
	}
	if c.Pattern == "" {
		c.Pattern = "*"
	}
	if c.OffsitePattern == "" {
		c.OffsitePattern = c.Pattern
	}
	for _, p := range []struct{ field, pattern string }{{"pattern", c.Pattern}, {"offsite_pattern", c.OffsitePattern}} {
		if _, err := filepath.Match(p.pattern, ""); err != nil {
			return fmt.Errorf("backup %q: %s %q: %w", c.Name, p.field, p.pattern, err)
		}
	}
	if cs := c.Checksum; cs != nil && cs.Sidecar == (cs.Manifest != "") {
		return fmt.Errorf("backup %q: checksum needs exactly one of sidecar: true or manifest: <file>", c.Name)
	}
	return nil
}

// manifestPath resolves a relative manifest against the backup directory.
func (c *Config) manifestPath() string {
	if filepath.IsAbs(c.Checksum.Manifest) {
		return c.Checksum.Manifest
	}
	return filepath.Join(c.Path, c.Checksum.Manifest)
}
