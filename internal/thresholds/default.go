package thresholds

import (
	"time"

	"github.com/prometheus/common/model"
)

func minutes(m int) model.Duration { return model.Duration(time.Duration(m) * time.Minute) }

func hours(h int) model.Duration { return model.Duration(time.Duration(h) * time.Hour) }

// Default returns the runbook's thresholds (R3.5, R3.6) and conservative
// defaults for everything the runbook leaves open. Each call returns a new
// value the caller may change.
func Default() *Thresholds {
	return &Thresholds{
		RunbookURL: "https://github.com/golive-ops/golive/blob/main/docs/runbooks.md#%s",
		Jobs: Jobs{
			Host:        "node|golive",
			Application: "web|api",
			Postgres:    "postgres|golive",
			Redis:       "redis|golive",
			Probes:      "blackbox.*|golive",
			Exporter:    "golive",
		},
		Host: Host{
			// Runbook: CPU > 85% for 5m warning; stat green < 70, yellow < 85, red.
			CPU: HostPercent{
				PercentAbove:           PercentAbove{WarningPercent: Float(85), For: minutes(5)},
				DashboardYellowPercent: Float(70),
			},
			// Runbook: memory > 90% for 3m critical; gauge 75 / 90.
			Memory: HostPercent{
				PercentAbove:           PercentAbove{CriticalPercent: Float(90), For: minutes(3)},
				DashboardYellowPercent: Float(75),
			},
			// Runbook: disk > 85% for 1m warning.
			Disk: HostPercent{
				PercentAbove:           PercentAbove{WarningPercent: Float(85), For: minutes(1)},
				DashboardYellowPercent: Float(75),
			},
		},
		Application: Application{
			// Runbook: service down (up == 0) for 30s, "emergency".
			Down: Down{For: model.Duration(30 * time.Second), Severity: Emergency},
			// Runbook: p95 latency > 3 s for 2m warning.
			LatencyP95: SecondsAbove{WarningSeconds: Float(3), For: minutes(2)},
			// Runbook: error rate > 5%; R4's floors give 5% warning, 10% critical.
			ErrorRate:   PercentAbove{WarningPercent: Float(5), CriticalPercent: Float(10), For: minutes(2)},
			StatusLabel: "code",
			ErrorStatus: "5..",
		},
		Postgres: Postgres{
			// R5.2: database down is P0.
			Down:           Down{For: model.Duration(30 * time.Second), Severity: Emergency},
			Connections:    PercentAbove{WarningPercent: Float(80), CriticalPercent: Float(90), For: minutes(5)},
			CacheHitRatio:  PercentBelow{WarningPercent: Float(95), CriticalPercent: Float(90), For: minutes(10)},
			ReplicationLag: SecondsAbove{WarningSeconds: Float(30), CriticalSeconds: Float(300), For: minutes(2)},
			Deadlocks:      CountAbove{WarningCount: Float(0), Window: minutes(10)},
		},
		Redis: Redis{
			Down:                Down{For: minutes(1), Severity: Critical},
			Memory:              PercentAbove{WarningPercent: Float(80), CriticalPercent: Float(90), For: minutes(5)},
			RejectedConnections: CountAbove{WarningCount: Float(0), Window: minutes(5)},
			LastSave:            AgeAbove{WarningAge: Age(hours(25)), CriticalAge: Age(hours(49)), For: minutes(0)},
		},
		Probes: Probes{
			Failure:     Down{For: minutes(1), Severity: Critical},
			Slow:        SecondsAbove{WarningSeconds: Float(5), For: minutes(5)},
			Certificate: DaysBelow{WarningDays: Float(14), CriticalDays: Float(3), For: minutes(10)},
		},
		Backups: Backups{
			Age:            AgeAbove{WarningAge: Age(hours(26)), CriticalAge: Age(hours(50)), For: minutes(0)},
			NotVerified:    Down{For: minutes(0), Severity: Critical},
			RestoreTestAge: AgeAbove{WarningAge: Age(hours(31 * 24)), For: minutes(0)},
		},
		Services: Services{
			Names: "nginx|postgresql|redis-server|docker",
			Down:  Down{For: minutes(1), Severity: Critical},
		},
		SQLChecks: SQLChecks{
			MigrationChecks: ".*migration.*",
			MismatchColumn:  "mismatched_rows",
			Mismatch:        RowsAbove{CriticalRows: Float(0), For: minutes(0)},
			Failure:         Down{For: minutes(5), Severity: Warning},
		},
		Exporter: Exporter{
			Down:             Down{For: minutes(1), Severity: Critical},
			CollectorFailure: Down{For: minutes(5), Severity: Warning},
			ReloadFailure:    Down{For: minutes(0), Severity: Warning},
		},
	}
}
