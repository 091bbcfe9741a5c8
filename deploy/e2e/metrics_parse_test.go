package e2e

import "testing"

func TestSumSamples(t *testing.T) {
	const exposition = `# HELP alertmanager_notifications_total The total number of attempted notifications.
# TYPE alertmanager_notifications_total counter
alertmanager_notifications_total{integration="email"} 7
alertmanager_notifications_total{integration="webhook"} 2
alertmanager_notifications_total{integration="webhook",receiver_name="golive"} 1.5
alertmanager_notifications_total_extra{integration="webhook"} 100
alertmanager_notification_latency_seconds_count{integration="webhook"} 3
up 1
`
	for _, tc := range []struct {
		metric, matcher string
		want            float64
	}{
		{"alertmanager_notifications_total", `integration="webhook"`, 3.5},
		{"alertmanager_notifications_total", `integration="email"`, 7},
		{"alertmanager_notifications_total", "", 10.5},
		{"alertmanager_notification_latency_seconds_count", `integration="webhook"`, 3},
		{"alertmanager_notifications_failed_total", `integration="webhook"`, 0},
		{"up", "", 1},
	} {
		if got := sumSamples([]byte(exposition), tc.metric, tc.matcher); got != tc.want {
			t.Errorf("sumSamples(%s, %s) = %v, want %v", tc.metric, tc.matcher, got, tc.want)
		}
	}
}
