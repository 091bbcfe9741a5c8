package services

import "github.com/prometheus/client_golang/prometheus"

// The metric table. node_systemd_unit_state is node_exporter's systemd
// collector's (name, help, labels, one series per state); the rest are ours.
var (
	unitStateDesc = prometheus.NewDesc("node_systemd_unit_state", "Systemd unit",
		[]string{"name", "state", "type"}, nil)
	serviceUpDesc = prometheus.NewDesc("golive_service_up",
		"Whether a process of the service is running (1) or not (0).",
		[]string{"service", "backend"}, nil)
	backendInfoDesc = prometheus.NewDesc("golive_service_backend_info",
		"The backend service states come from: systemd or process.",
		[]string{"backend"}, nil)
)

// unitStates are the ActiveState values node_exporter exports, in its order.
var unitStates = []string{"active", "activating", "deactivating", "inactive", "failed"}
