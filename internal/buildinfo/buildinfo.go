// Package buildinfo reports the version golive was built from through
// prometheus/common/version, as every Prometheus component does: the
// Makefile sets version.Version, Revision, Branch, BuildUser and BuildDate
// with -ldflags -X; a plain `go build` falls back to the module version and
// the VCS revision Go records.
package buildinfo

import (
	"runtime/debug"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
)

// Program names golive in --version output and in golive_build_info.
const Program = "golive"

var fill sync.Once

// fillDefaults gives a binary built without the Makefile's -X flags a
// version anyway ("dev" or the module version from `go install ...@v1.2.3`).
func fillDefaults() {
	fill.Do(func() {
		if version.Version != "" {
			return
		}
		version.Version = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version.Version = bi.Main.Version
		}
	})
}

// Print returns the --version text for program (the first line is
// "<program>, version <v> (branch: <b>, revision: <r>)").
func Print(program string) string {
	fillDefaults()
	return version.Print(program)
}

// Collector returns golive_build_info{version, revision, branch, goversion,
// goos, goarch, tags} = 1.
func Collector() prometheus.Collector {
	fillDefaults()
	return versioncollector.NewCollector(Program)
}

// Version is the version golive reports.
func Version() string {
	fillDefaults()
	return version.Version
}
