// Package buildinfo reports the version golive was built from, set by the
// linker (-X) in the Makefile and falling back to the module build info.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Set by -ldflags "-X github.com/golive-ops/golive/internal/buildinfo.Version=...".
var (
	Version  = ""
	Revision = ""
)

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func revision() string {
	if Revision != "" {
		return Revision
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// Print returns a one-line version string for --version output.
func Print(program string) string {
	return fmt.Sprintf("%s version %s (revision %s, %s)", program, version(), revision(), runtime.Version())
}

// Collector returns golive_build_info{version,revision,goversion} = 1.
func Collector() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "golive_build_info",
		Help: "A metric with a constant '1' value labeled by version, revision and goversion from which golive was built.",
		ConstLabels: prometheus.Labels{
			"version":   version(),
			"revision":  revision(),
			"goversion": runtime.Version(),
		},
	})
	g.Set(1)
	return g
}
