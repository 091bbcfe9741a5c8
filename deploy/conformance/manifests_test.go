// Package conformance runs Flagger's and Argo Rollouts' own client code
// against golive's gate, and decodes deploy/kubernetes strictly with the
// upstream Go types. It is a module of its own so that the main module
// never depends on Kubernetes.
package conformance

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rolloutsv1 "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/golive-ops/golive/receiver/config"
)

// manifests are the decoded objects of deploy/kubernetes.
type manifests struct {
	configMaps  map[string]corev1.ConfigMap
	secrets     map[string]corev1.Secret
	deployments map[string]appsv1.Deployment
	canaries    map[string]flaggerv1.Canary
	rollouts    map[string]rolloutsv1.Rollout
	templates   map[string]rolloutsv1.AnalysisTemplate
	kinds       map[string]int
}

// loadManifests decodes every document of deploy/kubernetes/*.yaml
// strictly (unknown or misspelt fields fail) into the type its kind names.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{configMaps: map[string]corev1.ConfigMap{}, secrets: map[string]corev1.Secret{},
		deployments: map[string]appsv1.Deployment{}, canaries: map[string]flaggerv1.Canary{},
		rollouts: map[string]rolloutsv1.Rollout{}, templates: map[string]rolloutsv1.AnalysisTemplate{}, kinds: map[string]int{}}
	files, err := filepath.Glob("../kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s document %d: %v", f, i+1, err)
			}
			where := f + " " + tm.Kind
			m.kinds[tm.APIVersion+" "+tm.Kind]++
			switch tm.APIVersion + " " + tm.Kind {
			case "v1 ConfigMap":
				m.configMaps[name(t, where, doc)] = strict[corev1.ConfigMap](t, where, doc)
			case "v1 Secret":
				m.secrets[name(t, where, doc)] = strict[corev1.Secret](t, where, doc)
			case "v1 Service":
				strict[corev1.Service](t, where, doc)
			case "apps/v1 Deployment":
				m.deployments[name(t, where, doc)] = strict[appsv1.Deployment](t, where, doc)
			case "apps/v1 StatefulSet":
				strict[appsv1.StatefulSet](t, where, doc)
			case "flagger.app/v1beta1 Canary":
				m.canaries[name(t, where, doc)] = strict[flaggerv1.Canary](t, where, doc)
			case "argoproj.io/v1alpha1 Rollout":
				m.rollouts[name(t, where, doc)] = strict[rolloutsv1.Rollout](t, where, doc)
			case "argoproj.io/v1alpha1 AnalysisTemplate":
				m.templates[name(t, where, doc)] = strict[rolloutsv1.AnalysisTemplate](t, where, doc)
			default:
				t.Errorf("%s document %d: no upstream type registered for %q %q", f, i+1, tm.APIVersion, tm.Kind)
			}
		}
	}
	return m
}

func strict[T any](t *testing.T, where string, doc []byte) T {
	t.Helper()
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return v
}

func name(t *testing.T, where string, doc []byte) string {
	var om struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &om); err != nil || om.Metadata.Name == "" {
		t.Fatalf("%s: no metadata.name (%v)", where, err)
	}
	return om.Metadata.Name
}

func TestManifestsDecodeStrictly(t *testing.T) {
	m := loadManifests(t)
	for _, kind := range []string{"apps/v1 Deployment", "flagger.app/v1beta1 Canary", "argoproj.io/v1alpha1 Rollout", "argoproj.io/v1alpha1 AnalysisTemplate", "apps/v1 StatefulSet"} {
		if m.kinds[kind] == 0 {
			t.Errorf("deploy/kubernetes has no %s", kind)
		}
	}
	// The receiver's own config, as mounted, passes golive's strict loader
	// and uses PostgreSQL, the only storage replicas can share.
	cfg := receiverConfig(t, m)
	if cfg.Storage.Postgres == nil {
		t.Error("the Kubernetes receiver does not use PostgreSQL storage")
	}
	if d := m.deployments["golive-receiver"]; d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Error("the receiver Deployment should run replicas on the shared store")
	}
	// Every Flagger hook the issue names is wired to the gate.
	hooks := map[flaggerv1.HookType]string{}
	canary := m.canaries["checkout"]
	for _, h := range canary.GetAnalysis().Webhooks {
		hooks[h.Type] = h.URL
	}
	for typ, path := range map[flaggerv1.HookType]string{
		flaggerv1.ConfirmTrafficIncreaseHook: "/api/v1/gates/flagger/proceed",
		flaggerv1.RolloutHook:                "/api/v1/gates/flagger/proceed",
		flaggerv1.RollbackHook:               "/api/v1/gates/flagger/rollback",
	} {
		if !strings.Contains(hooks[typ], path) {
			t.Errorf("Canary hook %s = %q, want a URL with %s", typ, hooks[typ], path)
		}
	}
	steps := m.rollouts["checkout"].Spec.Strategy.Canary.Steps
	analyses := 0
	for _, s := range steps {
		if s.Analysis != nil && s.Analysis.Templates[0].TemplateName == "golive-gate" {
			analyses++
		}
	}
	if analyses != 2 {
		t.Errorf("the Rollout runs the golive-gate analysis %d times, want after 10%% and 30%%", analyses)
	}
}

// receiverConfig parses the receiver.yml of the ConfigMap with golive's
// loader.
func receiverConfig(t *testing.T, m manifests) *config.Config {
	t.Helper()
	raw, ok := m.configMaps["golive-receiver"].Data["receiver.yml"]
	if !ok {
		t.Fatal("ConfigMap golive-receiver has no receiver.yml")
	}
	cfg, err := config.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("the ConfigMap's receiver.yml: %v", err)
	}
	return cfg
}
