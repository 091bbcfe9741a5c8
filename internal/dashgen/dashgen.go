// Package dashgen generates the Grafana dashboards from the thresholds file.
// Panels read the recording rules the alerts use, and their threshold steps
// are the alerts' levels, so a dashboard and its alerts agree by
// construction.
package dashgen

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/golive-ops/golive/internal/rulegen"
	"github.com/golive-ops/golive/internal/thresholds"
)

// Generate returns the dashboards keyed by file name ("overview.json").
// The output depends only on t.
func Generate(t *thresholds.Thresholds) (map[string][]byte, error) {
	c, err := rulegen.NewCatalog(t)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for name, d := range Dashboards(t, c) {
		data, err := marshal(d)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		files[name+".json"] = data
	}
	return files, nil
}

// Dashboards builds every dashboard, keyed by file stem.
func Dashboards(t *thresholds.Thresholds, c *rulegen.Catalog) map[string]Dashboard {
	return map[string]Dashboard{
		"overview":   overview(t, c),
		"postgresql": postgres(t, c),
		"redis":      redis(t, c),
		"probes":     probes(t, c),
		"go-live":    golive(t, c),
	}
}

func marshal(d Dashboard) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
