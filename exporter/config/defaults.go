package config

import "time"

// The exporter's own defaults. Each collector section's defaults live in its
// package's Default value and are applied by its UnmarshalYAML.

// DefaultGlobal is used for fields global leaves out, and when there is no
// global section at all.
var DefaultGlobal = Global{
	ScrapeTimeout:       10 * time.Second,
	ScrapeTimeoutOffset: 500 * time.Millisecond,
}
