package e2e

import (
	"net/url"
	"testing"
	"time"
)

// TestChainReachesAlertmanagerWebhook proves the monitoring half of the
// chain: a failing endpoint, probed by the golive exporter and judged by the
// generated rules in Prometheus, reaches the webhook of both clustered
// Alertmanagers as a version 4 payload, firing and then resolved.
func TestChainReachesAlertmanagerWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end chain: skipped with -short")
	}
	start := time.Now()
	sink := newWebhookSink(t)
	sinkURL, err := url.Parse(sink.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := startStack(t, sinkURL.Port())
	t.Logf("stack up in %s", time.Since(start).Round(time.Millisecond))

	isProbe := func(status string) func(amAlert) bool {
		return func(a amAlert) bool {
			return a.Status == status && a.Labels["alertname"] == probeAlert && a.Labels["target"] == s.target.url()
		}
	}

	failedAt := time.Now()
	s.target.failing.Store(true)
	var firing []delivery
	var alerts []amAlert
	// Both peers deliver (peer-timeout 0): wait for a payload from each.
	waitFor(t, alertTimeout, probeAlert+" firing from both Alertmanagers", s.procs(), func() (bool, string) {
		firing, alerts = sink.find(isProbe("firing"))
		return len(peersOf(firing)) == 2, "from peers " + joinKeys(peersOf(firing))
	})
	t.Logf("%s firing at the webhook %s after the target failed", probeAlert, time.Since(failedAt).Round(time.Millisecond))

	fingerprint := alerts[0].Fingerprint
	for i, d := range firing {
		a, m := alerts[i], d.msg
		if d.authorization != "" {
			t.Errorf("Authorization = %q: the shipped alertmanager.yml sends credentials the shipped demo receiver does not have (it would answer 401)", d.authorization)
		}
		if m.Version != "4" || m.Receiver != "golive" || m.Status != "firing" || m.GroupKey == "" {
			t.Errorf("payload version %q receiver %q status %q groupKey %q; want 4, golive, firing, non-empty",
				m.Version, m.Receiver, m.Status, m.GroupKey)
		}
		if !a.EndsAt.IsZero() || a.StartsAt.IsZero() || a.StartsAt.Before(failedAt.Add(-time.Minute)) {
			t.Errorf("firing alert startsAt %s endsAt %s; want a recent start and a zero end", a.StartsAt, a.EndsAt)
		}
		if a.Fingerprint == "" || a.Fingerprint != fingerprint {
			t.Errorf("fingerprint %q differs between peers (first %q): receivers could not deduplicate", a.Fingerprint, fingerprint)
		}
		if a.Labels["job"] != "golive" || a.Labels["module"] != "http_2xx" || a.Labels["severity"] == "" {
			t.Errorf("alert labels %v: want job golive, module http_2xx and a severity", a.Labels)
		}
		if a.Annotations["summary"] == "" || a.GeneratorURL == "" {
			t.Errorf("alert has no summary annotation or generatorURL: %+v", a)
		}
	}

	healedAt := time.Now()
	s.target.failing.Store(false)
	var resolved []amAlert
	waitFor(t, alertTimeout, probeAlert+" resolved", s.procs(), func() (bool, string) {
		_, resolved = sink.find(isProbe("resolved"))
		return len(resolved) > 0, ""
	})
	t.Logf("%s resolved at the webhook %s after the target healed", probeAlert, time.Since(healedAt).Round(time.Millisecond))
	for _, a := range resolved {
		if a.Fingerprint != fingerprint || a.EndsAt.IsZero() || !a.EndsAt.After(a.StartsAt) {
			t.Errorf("resolved alert fingerprint %q startsAt %s endsAt %s; want fingerprint %q and an end after the start",
				a.Fingerprint, a.StartsAt, a.EndsAt, fingerprint)
		}
	}
	if bad := sink.malformed(); len(bad) > 0 {
		t.Errorf("the sink got %d malformed requests, first: %s", len(bad), bad[0])
	}
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// peersOf returns the externalURLs (one per Alertmanager peer) of deliveries.
func peersOf(ds []delivery) map[string]bool {
	out := map[string]bool{}
	for _, d := range ds {
		out[d.msg.ExternalURL] = true
	}
	return out
}

func joinKeys(m map[string]bool) string {
	s := ""
	for k := range m {
		if s != "" {
			s += ", "
		}
		s += k
	}
	return "[" + s + "]"
}
