package receiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/internal/haproxy/haproxytest"
	"github.com/golive-ops/golive/receiver/remediate"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/remediate/haproxyaction"
	"github.com/golive-ops/golive/receiver/store"
)

// The haproxy kind through the receiver: a P0 outage of web activates
// web's backup server in the real HAProxy; the same action for api names
// a server HAProxy does not have, and HAProxy's answer is what the
// timeline says.
func TestHAProxyActionThroughTheReceiver(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer backend.Close()
	lb := haproxytest.Start(t, haproxytest.Backend{Name: "web", Servers: []haproxytest.Server{
		{Name: "web1", Addr: strings.TrimPrefix(backend.URL, "http://"), Weight: -1},
		{Name: "web-backup", Addr: strings.TrimPrefix(backend.URL, "http://"), Weight: -1, Backup: true, Disabled: true},
	}})
	cfg := demoConfig(t)
	cfg.Remediation = remediate.Config{Actions: []remediate.ActionConfig{{
		Name: "activate-backup", Kind: "haproxy",
		When: remediate.When{Priorities: []string{"P0", "P1", "P2", "P3"}},
		KindSettings: remediate.KindSettings{HAProxy: &haproxyaction.Config{Socket: lb.Socket, Backend: "web",
			Servers:       []haproxyaction.Server{{Name: "{service}-backup", State: "ready"}},
			Substitutions: action.Substitutions{"service": {Label: "service", Allow: "web|api"}}}},
		MaxAttempts: remediate.Budget{PerIncident: 1},
	}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, cfg)
	if code, body := post(t, a.url+DefaultWebhookPath, alertBody(t, "am-0", "", time.Now().Add(-time.Minute), "web", "api")); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	var rs []store.Remediation
	eventually(t, "the actions did not finish", func() bool {
		rs = remediations(t, a.Store())
		return len(rs) == 2 && rs[0].State.Final() && rs[1].State.Final()
	})
	for _, r := range rs {
		switch r.Target {
		case "service=web":
			if r.State != store.RemediationSucceeded {
				t.Errorf("web: %s %s", r.State, r.Reason)
			}
		case "service=api":
			if r.State != store.RemediationFailed || !strings.Contains(r.Reason, "No such server") {
				t.Errorf("api: %s %q, want failed with HAProxy's answer", r.State, r.Reason)
			}
			evs, err := a.Store().Timeline(context.Background(), r.IncidentID)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range evs {
				found = found || (e.Kind == remediate.EventFailed && strings.Contains(e.Note, "No such server"))
			}
			if !found {
				t.Errorf("the timeline of the api incident lacks HAProxy's answer: %+v", evs)
			}
		default:
			t.Errorf("unexpected target %s", r.Target)
		}
	}
	split, err := lb.Client.Snapshot(context.Background(), "web", "web-backup")
	if err != nil || split["web-backup"].State != haproxy.Ready {
		t.Fatalf("web-backup = %+v %v, want ready", split, err)
	}
}
