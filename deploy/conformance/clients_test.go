package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/argoproj/argo-rollouts/metricproviders/webmetric"
	rolloutsv1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	"github.com/fluxcd/flagger/pkg/controller"
	log "github.com/sirupsen/logrus"

	"github.com/golive-ops/golive/internal/secret"
	"github.com/golive-ops/golive/receiver"
	"github.com/golive-ops/golive/receiver/config"
)

const inCluster = "http://golive-receiver.monitoring.svc:9470"

// prometheus answers the checkout gate's queries with the values of the
// current scenario.
type prometheus struct {
	mu                         sync.Mutex
	errRate, latency, cpu, mem float64
	rps                        float64
}

func (p *prometheus) set(errRate, latency float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errRate, p.latency, p.cpu, p.mem, p.rps = errRate, latency, 0.3, 0.5, 25
}

func (p *prometheus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.FormValue("query")
	p.mu.Lock()
	var v float64
	switch {
	case strings.Contains(q, "duration_seconds_sum"):
		v = p.latency
	case strings.Contains(q, "http_request_errors"):
		v = p.errRate
	case strings.Contains(q, "http_requests_total"):
		v = p.rps
	case strings.Contains(q, "cpu"):
		v = p.cpu
	case strings.Contains(q, "memory"):
		v = p.mem
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"%g"]}]}}`, v)
}

// gateServer runs a real receiver App with the Kubernetes ConfigMap's
// config (SQLite instead of PostgreSQL, the test's Prometheus) and the
// gate token from the manifests' Secret.
func gateServer(t *testing.T, m manifests, prom *prometheus) string {
	t.Helper()
	cfg := receiverConfig(t, m)
	dir := t.TempDir()
	cfg.Storage = config.Storage{SQLite: &config.SQLite{Path: filepath.Join(dir, "receiver.db")}}
	cfg.Auth = config.Auth{BearerToken: secret.Secret("api-token-not-the-gate-token")}
	promSrv := httptest.NewServer(prom)
	t.Cleanup(promSrv.Close)
	cfg.Gate.Prometheus.URL = promSrv.URL
	tokenFile := filepath.Join(dir, "gate.token")
	if err := os.WriteFile(tokenFile, []byte(m.secrets["golive-receiver"].StringData["gate.token"]), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &cfg.Gate.Gates[0]
	g.TokenFile = tokenFile
	g.MinInterval = 0 // every client call evaluates: the scenarios change between calls
	app, err := receiver.New(context.Background(), receiver.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

var scenarios = []struct {
	name             string
	errRate, latency float64
	decision         string
	argo             rolloutsv1.AnalysisPhase
	// Flagger: which hooks pass.
	proceedHooksPass, rollbackHookPasses bool
}{
	{"proceed", 0.01, 0.2, "proceed", rolloutsv1.AnalysisPhaseSuccessful, true, false},
	{"hold", 0.01, 3.5, "hold", rolloutsv1.AnalysisPhaseInconclusive, false, false},
	{"rollback", 0.2, 0.2, "rollback", rolloutsv1.AnalysisPhaseFailed, false, true},
}

// TestArgoWebMetric runs Argo Rollouts' own web metric provider with the
// AnalysisTemplate of deploy/kubernetes, its args substituted as the
// controller would.
func TestArgoWebMetric(t *testing.T) {
	m := loadManifests(t)
	prom := &prometheus{}
	url := gateServer(t, m, prom)
	tmpl := m.templates["golive-gate"]
	token := m.secrets["golive-receiver"].StringData["gate.token"]
	if argoToken := string(m.secrets["golive-gate"].StringData["token"]); argoToken != token {
		t.Fatalf("the Argo Secret's token %q is not the receiver's gate token %q", argoToken, token)
	}
	metric := substitute(t, tmpl.Spec.Metrics[0], url, map[string]string{"gate": "checkout", "gate-token": token})
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			prom.set(sc.errRate, sc.latency)
			got := runArgo(t, metric)
			if got.Phase != sc.argo {
				t.Fatalf("measurement %s (%s), want %s; value %s", got.Phase, got.Message, sc.argo, got.Value)
			}
			var d struct {
				ID       int64  `json:"id"`
				Decision string `json:"decision"`
			}
			if err := json.Unmarshal([]byte(got.Value), &d); err != nil || d.Decision != sc.decision || d.ID == 0 {
				t.Fatalf("measured value %s: %v", got.Value, err)
			}
		})
	}
	t.Run("wrong token is a measurement error", func(t *testing.T) {
		bad := substitute(t, tmpl.Spec.Metrics[0], url, map[string]string{"gate": "checkout", "gate-token": "wrong"})
		if got := runArgo(t, bad); got.Phase != rolloutsv1.AnalysisPhaseError {
			t.Fatalf("measurement %s, want Error", got.Phase)
		}
	})
}

func runArgo(t *testing.T, metric rolloutsv1.Metric) rolloutsv1.Measurement {
	t.Helper()
	client, err := webmetric.NewWebMetricHttpClient(metric)
	if err != nil {
		t.Fatal(err)
	}
	parser, err := webmetric.NewWebMetricJsonParser(metric)
	if err != nil {
		t.Fatal(err)
	}
	logger := log.New()
	logger.SetOutput(testWriter{t})
	p := webmetric.NewWebMetricProvider(*log.NewEntry(logger), client, parser)
	return p.Run(&rolloutsv1.AnalysisRun{}, metric)
}

// substitute points the metric at the test server and fills {{args.*}}.
func substitute(t *testing.T, metric rolloutsv1.Metric, url string, args map[string]string) rolloutsv1.Metric {
	t.Helper()
	b, err := json.Marshal(metric)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), inCluster, url)
	for k, v := range args {
		s = strings.ReplaceAll(s, "{{args."+k+"}}", v)
	}
	var out rolloutsv1.Metric
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "{{") || !strings.Contains(out.Provider.Web.URL, url) {
		t.Fatalf("unsubstituted metric: %s", s)
	}
	return out
}

// TestFlaggerWebhooks calls the Canary's hooks with Flagger's own
// controller.CallWebhook.
func TestFlaggerWebhooks(t *testing.T) {
	m := loadManifests(t)
	prom := &prometheus{}
	url := gateServer(t, m, prom)
	canary := m.canaries["checkout"]
	token := m.secrets["golive-receiver"].StringData["gate.token"]
	hooks := map[flaggerv1.HookType]flaggerv1.CanaryWebhook{}
	for _, h := range canary.GetAnalysis().Webhooks {
		if (*h.Metadata)["token"] != token {
			t.Fatalf("hook %s carries token %q, not the receiver's gate token", h.Name, (*h.Metadata)["token"])
		}
		h.URL = strings.Replace(h.URL, inCluster, url, 1)
		hooks[h.Type] = h
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			prom.set(sc.errRate, sc.latency)
			for _, typ := range []flaggerv1.HookType{flaggerv1.ConfirmTrafficIncreaseHook, flaggerv1.RolloutHook} {
				err := controller.CallWebhook(canary, flaggerv1.CanaryPhaseProgressing, hooks[typ])
				if (err == nil) != sc.proceedHooksPass {
					t.Errorf("%s hook: err %v, want pass=%v", typ, err, sc.proceedHooksPass)
				}
				if err != nil && !strings.Contains(err.Error(), sc.decision+", not proceed") {
					t.Errorf("%s hook: Flagger's event would say %q, not the decision %s", typ, err, sc.decision)
				}
			}
			err := controller.CallWebhook(canary, flaggerv1.CanaryPhaseProgressing, hooks[flaggerv1.RollbackHook])
			if (err == nil) != sc.rollbackHookPasses {
				t.Errorf("rollback hook: err %v, want pass=%v", err, sc.rollbackHookPasses)
			}
		})
	}
	t.Run("wrong token fails every hook", func(t *testing.T) {
		prom.set(0.2, 0.2)
		h := hooks[flaggerv1.RollbackHook]
		md := map[string]string{"gate": "checkout", "token": "wrong"}
		h.Metadata = &md
		if err := controller.CallWebhook(canary, flaggerv1.CanaryPhaseProgressing, h); err == nil {
			t.Fatal("a wrong token passed the rollback hook")
		}
	})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
