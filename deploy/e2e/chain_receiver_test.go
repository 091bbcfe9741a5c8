package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/golive-ops/golive/receiver/config"
	"github.com/golive-ops/golive/receiver/incident"
)

// TestChainOpensAndResolvesIncident runs the whole chain: a failing
// endpoint becomes one graded incident in the receiver and one Slack
// message, although both Alertmanagers deliver it; the endpoint's recovery
// resolves the incident.
func TestChainOpensAndResolvesIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end chain: skipped with -short")
	}
	start := time.Now()
	slack := newSlackSink(t)
	rcv := newDemoReceiver(t, slack.notifyTo())
	rcv.start(t)
	s := startStack(t, rcv.port())
	watch := append(s.procs(), rcv.proc)
	t.Logf("chain up in %s", time.Since(start).Round(time.Millisecond))

	isProbe := func(o apiOccurrence) bool {
		return o.AlertName == probeAlert && o.Labels["target"] == s.target.url()
	}

	failedAt := time.Now()
	s.target.failing.Store(true)
	alert := s.firingAlert(t, probeAlert)
	want, reason := defaultGrade(t, alert)
	t.Logf("%s fires with labels %v; the default grading gives %s (rule %q)", probeAlert, alert.Labels, want, reason)

	var inc apiIncidentDetail
	waitFor(t, alertTimeout, "an incident for "+probeAlert, watch, func() (bool, string) {
		incs, err := rcv.incidentsWith(isProbe)
		if err != nil || len(incs) == 0 {
			return false, fmt.Sprint(err)
		}
		inc = incs[0]
		return true, ""
	})
	t.Logf("incident %d (%s) opened %s after the target failed", inc.Incident.ID, inc.Incident.Title, time.Since(failedAt).Round(time.Millisecond))

	// Both peers deliver (peer-timeout 0, see startAlertmanagers); wait
	// until each has its answer, then the receiver must still hold one
	// incident with one occurrence.
	s.waitBothDelivered(t, watch)
	waitFor(t, alertTimeout, probeAlert+" stored from both Alertmanagers", watch, func() (bool, string) {
		peers := storedFiringFrom(t, rcv.dbPath, probeAlert, s.target.url())
		return len(peers) == 2, "from peers " + joinKeys(peers)
	})
	incs, err := rcv.incidentsWith(isProbe)
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != 1 {
		t.Fatalf("%d incidents hold the %s occurrence after both Alertmanagers delivered; want 1", len(incs), probeAlert)
	}
	inc = incs[0]
	var probeOccurrences []apiOccurrence
	for _, o := range inc.Occurrences {
		if isProbe(o) {
			probeOccurrences = append(probeOccurrences, o)
		}
	}
	if len(probeOccurrences) != 1 {
		t.Errorf("incident %d holds %d %s occurrences (%+v); want 1: the second peer's copy must add nothing",
			inc.Incident.ID, len(probeOccurrences), probeAlert, probeOccurrences)
	}
	if got := inc.Incident.Priority; got != want {
		t.Errorf("incident priority %s; the default grading gives %s (rule %q)", got, want, reason)
	}
	if st := inc.Incident.State; st != "new" && st != "acknowledged" && st != "in_progress" {
		t.Errorf("incident state %q; want an open state", st)
	}

	id := fmt.Sprint(inc.Incident.ID)
	opened := func() []notification {
		var out []notification
		for _, n := range slack.notifications() {
			if n.event == "opened" && n.incident == id {
				out = append(out, n)
			}
		}
		return out
	}
	waitFor(t, alertTimeout, "the Slack notification of incident "+id, watch, func() (bool, string) {
		return len(opened()) > 0, fmt.Sprintf("slack got %v", slack.notifications())
	})
	// The outbox worker polls every second: give a duplicate time to show.
	time.Sleep(3 * time.Second)
	if got := opened(); len(got) != 1 || got[0].priority != string(want) {
		t.Errorf("Slack got %v for incident %s; want exactly one opened notification with priority %s", got, id, want)
	}

	healedAt := time.Now()
	s.target.failing.Store(false)
	waitFor(t, alertTimeout, "incident "+id+" resolved", watch, func() (bool, string) {
		d, err := rcv.incident(inc.Incident.ID)
		if err != nil {
			return false, err.Error()
		}
		return d.Incident.State == "resolved", "state " + d.Incident.State
	})
	t.Logf("incident %s resolved %s after the target healed; total %s", id,
		time.Since(healedAt).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if got := opened(); len(got) != 1 {
		t.Errorf("Slack got %d opened notifications for incident %s by the end; want 1", len(got), id)
	}
	if all, err := rcv.incidents(); err == nil {
		for _, i := range all {
			t.Logf("receiver holds incident %d %s %s %q", i.ID, i.Priority, i.State, i.Title)
		}
	}
}

// storedFiringFrom returns the Alertmanager peers (externalURL) whose
// webhooks carrying the named alert firing for target the receiver stored.
func storedFiringFrom(t *testing.T, dbPath, alertname, target string) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := openStoreReadOnly(t, dbPath).QueryContext(ctx, `SELECT body FROM webhooks`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	peers := map[string]bool{}
	for rows.Next() {
		var body []byte
		var msg amMessage
		if err := rows.Scan(&body); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(body, &msg); err != nil {
			t.Fatalf("stored webhook body is not the payload: %v", err)
		}
		for _, a := range msg.Alerts {
			if a.Status == "firing" && a.Labels["alertname"] == alertname && a.Labels["target"] == target {
				peers[msg.ExternalURL] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return peers
}

// promAlert is an alert as Prometheus's /api/v1/alerts shows it: the labels
// and (expanded) annotations Alertmanager receives.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// firingAlert waits until Prometheus fires the named alert for the target.
func (s *stack) firingAlert(t *testing.T, name string) promAlert {
	t.Helper()
	var found promAlert
	waitFor(t, alertTimeout, name+" firing in Prometheus", s.procs(), func() (bool, string) {
		var resp struct {
			Data struct {
				Alerts []promAlert `json:"alerts"`
			} `json:"data"`
		}
		if err := getJSON(s.promURL+"/api/v1/alerts", nil, &resp); err != nil {
			return false, err.Error()
		}
		for _, a := range resp.Data.Alerts {
			if a.Labels["alertname"] == name && a.Labels["target"] == s.target.url() {
				found = a
				return a.State == "firing", "state " + a.State
			}
		}
		return false, "not active"
	})
	return found
}

// defaultGrade is the priority the receiver's default grading rules give
// the alert: the expectation comes from the shipped rules, not a guess.
func defaultGrade(t *testing.T, a promAlert) (priority, rule string) {
	t.Helper()
	def := config.Default()
	g, err := incident.NewGrader(def.Grading, def.Incidents.ValueFrom)
	if err != nil {
		t.Fatal(err)
	}
	p, reason := g.Grade(a.Labels, a.Annotations)
	return string(p), reason.Rule
}

// waitBothDelivered waits until each Alertmanager has had an answer to at
// least one webhook notification, and none failed.
func (s *stack) waitBothDelivered(t *testing.T, watch []*proc) {
	t.Helper()
	for i := range s.ams {
		waitFor(t, alertTimeout, s.ams[i].name+" delivering to the webhook", watch, func() (bool, string) {
			attempts, failed, finished, err := s.amWebhookStats(i)
			if err != nil {
				return false, err.Error()
			}
			if failed > 0 {
				t.Fatalf("%s: %v of %v webhook notifications failed", s.ams[i].name, failed, attempts)
			}
			return attempts >= 1 && finished >= 1, fmt.Sprintf("%v attempts, %v finished", attempts, finished)
		})
	}
}
