// Package e2e tests the deployed chain end to end, with the real programs as
// subprocesses: golive exporter → Prometheus (loading the generated rules) →
// an Alertmanager HA pair (deploy/alertmanager) → golive receiver → a Slack
// sink. It also checks the shipped Prometheus and Alertmanager configs with
// promtool and amtool.
//
// The package has no code of its own: everything is in its tests, which use
// internal/testenv to find prometheus, alertmanager, promtool and amtool
// (skipped when missing outside CI, failed under CI=true).
package e2e
