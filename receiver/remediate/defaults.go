package remediate

import "gopkg.in/yaml.v3"

// runbookPolicy is runbook R5.5 for the runbook's services, as
// deploy/examples/receiver.yml spells it out (a test keeps them equal).
// What would touch the machine is a dry run (the restart) or waits for a
// person (the load balancer, the failover); diagnostics only read.
const runbookPolicy = `
dry_run: false
rate_limit: {max: 20, per: 1h}
approval_expiry: 1h
modules:
  http_2xx: {prober: http, timeout: 10s}
actions:
  - name: restart-web
    when:
      priorities: [P0]
      matchers: ['service=~"web|api|frontend|nginx"']
      changes: [opened, reopened]
    kind: service_restart
    service_restart:
      unit: "{service}.service"
      substitutions:
        service: {label: service, allow: "web|api|frontend|nginx"}
      command: [/usr/bin/systemctl, restart, "{unit}"]
      timeout: 90s
    verify:
      probe: {module: http_2xx, target: "http://127.0.0.1:8080/health"}
      delay: 10s
      timeout: 60s
    cooldown: 10m
    max_attempts: {per_incident: 1, per_target: 3, window: 1h}
    dry_run: true
  - name: activate-backup-servers
    when:
      priorities: [P0]
      matchers: ['service=~"web|api|frontend|nginx"']
      changes: [opened, reopened]
    kind: http
    http:
      method: PUT
      url: "http://127.0.0.1:5555/v1/backends/{service}/backup"
      body: '{"state": "ready"}'
      substitutions:
        service: {label: service, allow: "web|api|frontend|nginx"}
      success_codes: [200, 202, 204]
      idempotent: true
    cooldown: 30m
    max_attempts: {per_incident: 1}
    approval: required
  - name: failover-database
    when:
      priorities: [P0]
      matchers: ['alertname=~"PostgresDown|DatabaseDown"']
    kind: http
    http:
      method: POST
      url: "http://127.0.0.1:8008/failover"
      body: '{"candidate": "replica"}'
      success_codes: [200, 202]
    cooldown: 1h
    max_attempts: {per_incident: 1, per_target: 1, window: 24h}
    approval: required
  - name: capture-diagnostics
    when:
      priorities: [P0, P1, P2]
      changes: [opened, reopened]
    kind: diagnostics
    diagnostics:
      paths: [/]
      log_files: [/var/log/syslog]
      top_processes: 10
      max_item_bytes: 16384
      max_total_bytes: 131072
    cooldown: 15m
    max_attempts: {per_incident: 1}
`

// Default is the remediation section of a config that has none: runbook
// R5.5 with destructive actions awaiting approval and the restart a dry
// run until someone turns it on.
func Default() Config {
	var c Config
	if err := yaml.Unmarshal([]byte(runbookPolicy), &c); err != nil {
		panic("remediate: the default policy is invalid: " + err.Error())
	}
	return c
}
