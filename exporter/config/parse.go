package config

import (
	"github.com/golive-ops/golive/internal/yamlx"
)

// Error is a config error located in the file: "line N: path: problem",
// path being the YAML path (postgres[1].dsn). Every golive config file
// words its errors so (see internal/yamlx).
type Error = yamlx.Error

// Parse decodes and checks a config with golive's one strict decoder
// (unknown and repeated keys, a second document, oversized values and wrong
// types are refused at their line), each section validating itself as it is
// decoded, then checks what spans sections. Exactly this runs for
// --config.check, a reload and a start.
func Parse(data []byte) (*Config, error) {
	doc, err := yamlx.Parse(data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{Global: DefaultGlobal}
	if err := doc.Decode(cfg); err != nil {
		return nil, err
	}
	if err := cfg.crossCheck(doc); err != nil {
		return nil, err
	}
	return cfg, nil
}
