package probemodule

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/exporter/prober"
)

func TestSetFromExporterConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exporter.yml")
	os.WriteFile(path, []byte("modules:\n  http_2xx: {prober: http}\n  tcp_connect: {prober: tcp}\n"), 0o600)
	s, err := FromExporterConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("http_2xx", prober.Module{Prober: "tcp"}); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Fatalf("a name of the exporter config added again: %v", err)
	}
	if err := s.Add("own", prober.Module{Prober: "http"}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Lookup("tcp_connect", "x"); err != nil || m.Prober != "tcp" {
		t.Fatalf("tcp_connect = %+v, %v", m, err)
	}
	_, err = s.Lookup("nope", "the checklist")
	if want := `"nope" is not a module of the checklist (have: http_2xx, own, tcp_connect)`; err == nil || err.Error() != want {
		t.Fatalf("unknown module: %v, want %s", err, want)
	}
	if _, err := FromExporterConfig(filepath.Join(t.TempDir(), "missing.yml")); err == nil {
		t.Fatal("a missing exporter config loaded")
	}
	if _, err := (Set{}).Lookup("x", "y"); err == nil || !strings.Contains(err.Error(), "(have: none)") {
		t.Fatalf("empty set: %v", err)
	}
}

// Run reports the prober's verdict and its own words on a failure.
func TestRun(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(status.Load())) }))
	defer srv.Close()
	var m prober.Module
	if err := yaml.Unmarshal([]byte("{prober: http, timeout: 2s}"), &m); err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), srv.URL, m)
	if err != nil || !res.Success || len(res.Metrics) == 0 {
		t.Fatalf("healthy: %+v, %v", res, err)
	}
	status.Store(http.StatusServiceUnavailable)
	res, err = Run(t.Context(), srv.URL, m)
	if err != nil || res.Success || !strings.Contains(res.Reason, "status_code=503") {
		t.Fatalf("503: %+v, %v", res, err)
	}
}
