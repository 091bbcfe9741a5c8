package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gopkg.in/yaml.v3"

	"github.com/golive-ops/golive/internal/testenv"
)

// promCollector adapts the collector for testutil and fails on Update errors.
type promCollector struct {
	t *testing.T
	c *servicesCollector
}

func (p promCollector) Describe(chan<- *prometheus.Desc) {}
func (p promCollector) Collect(ch chan<- prometheus.Metric) {
	if err := p.c.Update(p.t.Context(), ch); err != nil {
		p.t.Errorf("Update: %v", err)
	}
}

func mustCollector(t *testing.T, yml string) *servicesCollector {
	t.Helper()
	var cfg Config
	if err := yaml.Unmarshal([]byte(yml), &cfg); err != nil {
		t.Fatal(err)
	}
	c, err := newCollector(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProcessBackendSeesRealServices(t *testing.T) {
	testenv.PostgresDSN(t)
	testenv.RedisAddr(t)
	c := mustCollector(t, `{names: [postgresql, redis-server, no-such-service-golive], backend: process}`)
	err := testutil.CollectAndCompare(promCollector{t, c}, strings.NewReader(`
# HELP golive_service_up Whether a process of the service is running (1) or not (0).
# TYPE golive_service_up gauge
golive_service_up{backend="process",service="no-such-service-golive"} 0
golive_service_up{backend="process",service="postgresql"} 1
golive_service_up{backend="process",service="redis-server"} 1
# HELP golive_service_backend_info The backend service states come from: systemd or process.
# TYPE golive_service_backend_info gauge
golive_service_backend_info{backend="process"} 1
`))
	if err != nil {
		t.Error(err)
	}
}

func TestProcessBackendFollowsAProcessLifetime(t *testing.T) {
	sleep := testenv.Tool(t, "SLEEP", "sleep")
	// A copy under a name of our own (with our pid, for a concurrent run of
	// this test), so that other processes on this machine cannot interfere:
	// comm is the executable's file name, at most 15 bytes.
	name := fmt.Sprintf("gl-svc-%d", os.Getpid())
	bin := filepath.Join(t.TempDir(), name)
	data, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	c := mustCollector(t, `{services: [{name: sleeper, process: `+name+`}], backend: process}`)
	up := func() float64 {
		ms, err := c.processMetrics(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return testutil.ToFloat64(constCollector(ms))
	}
	if got := up(); got != 0 {
		t.Fatalf("sleeper up = %v before it started", got)
	}
	cmd := exec.Command(bin, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if got := up(); got != 1 {
		t.Errorf("sleeper up = %v while running, want 1", got)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Until Wait reaps it, the killed child is a zombie: already down.
	deadline := time.Now().Add(20 * time.Second)
	for up() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := up(); got != 0 {
		t.Errorf("sleeper up = %v after kill (zombie), want 0", got)
	}
	_ = cmd.Wait()
}

func TestProcessBackendMatching(t *testing.T) {
	svcs := []Service{
		{Name: "postgresql", Process: "postgres"},
		{Name: "nginx", Process: "nginx"},                                  // only a zombie
		{Name: "pg-exporter", Process: "prometheus-postgres-exporter"},     // longer than comm
		{Name: "other-exporter", Process: "prometheus-postgres-exporterX"}, // same comm, other argv0
		{Name: "kthread", Process: "kthread-long-name"},                    // kernel thread, empty cmdline
		{Name: "gone", Process: "gone"},
	}
	got, err := scanProcesses(t.Context(), "testdata/proc", svcs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"postgresql": true, "pg-exporter": true}
	for _, s := range svcs {
		if got[s.Name] != want[s.Name] {
			t.Errorf("%s: running = %v, want %v", s.Name, got[s.Name], want[s.Name])
		}
	}
}

type constCollector []prometheus.Metric

func (c constCollector) Describe(chan<- *prometheus.Desc) {}
func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// fakeSystemd answers like systemd's D-Bus API for a fixed set of units.
type fakeSystemd struct {
	units   map[string]dbus.UnitStatus
	types   map[string]string
	listErr error
	closed  bool
}

func (f *fakeSystemd) ListUnitsByNamesContext(_ context.Context, names []string) ([]dbus.UnitStatus, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []dbus.UnitStatus
	for _, n := range names {
		u, ok := f.units[n]
		if !ok {
			// systemd answers for unknown units too: not-found, inactive.
			u = dbus.UnitStatus{Name: n, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"}
		}
		out = append(out, u)
	}
	return out, nil
}

func (f *fakeSystemd) GetUnitTypePropertyContext(_ context.Context, unit, iface, prop string) (*dbus.Property, error) {
	typ, ok := f.types[unit]
	if !ok || prop != "Type" {
		return nil, errors.New("org.freedesktop.DBus.Error.UnknownProperty")
	}
	if (iface == "Service") != strings.HasSuffix(unit, ".service") {
		return nil, errors.New("wrong interface")
	}
	return &dbus.Property{Name: prop, Value: godbus.MakeVariant(typ)}, nil
}

func (f *fakeSystemd) Close() { f.closed = true }

func withFakeSystemd(c *servicesCollector, f *fakeSystemd, dialErr error) {
	c.systemdDir = os.TempDir() // exists: systemd "booted"
	c.dial = func(context.Context) (unitClient, error) {
		if dialErr != nil {
			return nil, dialErr
		}
		return f, nil
	}
}

func TestSystemdUnitStateMapping(t *testing.T) {
	c := mustCollector(t, `
names: [nginx, docker, gone]
services: [{name: pg, unit: postgresql@15-main.service}, {name: data, unit: srv-data.mount}, {name: backup, unit: backup.timer}]
backend: auto`)
	f := &fakeSystemd{
		units: map[string]dbus.UnitStatus{
			"nginx.service":              {Name: "nginx.service", ActiveState: "active"},
			"docker.service":             {Name: "docker.service", ActiveState: "failed"},
			"postgresql@15-main.service": {Name: "postgresql@15-main.service", ActiveState: "activating"},
			"srv-data.mount":             {Name: "srv-data.mount", ActiveState: "deactivating"},
			"backup.timer":               {Name: "backup.timer", ActiveState: "active"},
		},
		types: map[string]string{
			"nginx.service": "forking", "docker.service": "notify",
			"postgresql@15-main.service": "forking", "srv-data.mount": "nfs4",
		},
	}
	withFakeSystemd(c, f, nil)
	var want strings.Builder
	want.WriteString("# HELP node_systemd_unit_state Systemd unit\n# TYPE node_systemd_unit_state gauge\n")
	for _, u := range []struct{ name, state, typ string }{
		{"backup.timer", "active", ""},
		{"docker.service", "failed", "notify"},
		{"gone.service", "inactive", ""},
		{"nginx.service", "active", "forking"},
		{"postgresql@15-main.service", "activating", "forking"},
		{"srv-data.mount", "deactivating", "nfs4"},
	} {
		for _, s := range unitStates {
			v := "0"
			if s == u.state {
				v = "1"
			}
			want.WriteString(`node_systemd_unit_state{name="` + u.name + `",state="` + s + `",type="` + u.typ + `"} ` + v + "\n")
		}
	}
	want.WriteString("# HELP golive_service_backend_info The backend service states come from: systemd or process.\n# TYPE golive_service_backend_info gauge\ngolive_service_backend_info{backend=\"systemd\"} 1\n")
	if err := testutil.CollectAndCompare(promCollector{t, c}, strings.NewReader(want.String())); err != nil {
		t.Error(err)
	}
	if err := c.Close(); err != nil || !f.closed {
		t.Errorf("Close: %v, connection closed = %v", err, f.closed)
	}
}

func TestAutoFallsBackToProcessTable(t *testing.T) {
	for name, setup := range map[string]func(*servicesCollector){
		"no systemd":              func(c *servicesCollector) { c.systemdDir = filepath.Join(t.TempDir(), "absent") },
		"D-Bus does not answer":   func(c *servicesCollector) { withFakeSystemd(c, nil, errors.New("no bus")) },
		"ListUnitsByNames failed": func(c *servicesCollector) { withFakeSystemd(c, &fakeSystemd{listErr: errors.New("timeout")}, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			c := mustCollector(t, `{services: [{name: init, process: systemd}]}`)
			c.procRoot = "testdata/proc"
			setup(c)
			err := testutil.CollectAndCompare(promCollector{t, c}, strings.NewReader(`
# HELP golive_service_up Whether a process of the service is running (1) or not (0).
# TYPE golive_service_up gauge
golive_service_up{backend="process",service="init"} 1
# HELP golive_service_backend_info The backend service states come from: systemd or process.
# TYPE golive_service_backend_info gauge
golive_service_backend_info{backend="process"} 1
`))
			if err != nil {
				t.Error(err)
			}
		})
	}
}

func TestForcedSystemdBackendReportsFailure(t *testing.T) {
	c := mustCollector(t, `{names: [nginx], backend: systemd}`)
	withFakeSystemd(c, nil, errors.New("no bus"))
	ch := make(chan prometheus.Metric, 10)
	if err := c.Update(t.Context(), ch); err == nil || !strings.Contains(err.Error(), "systemd backend") {
		t.Errorf("Update error = %v, want a systemd backend error", err)
	}
	if len(ch) != 0 {
		t.Errorf("%d metrics sent despite the failure", len(ch))
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{backend: upstart}`, `backend: "upstart" is not one of auto, systemd, process`},
		{`{names: [nginx, nginx]}`, `names[1]: service "nginx" is already listed in names[0]`},
		{`{names: [nginx], services: [{name: nginx, process: x}]}`, `services[0]: service "nginx" is already listed`},
		{`{services: [{process: x}]}`, "services[0]: name must not be empty"},
		{`{services: [{name: a, process: "/usr/bin/a"}]}`, "must be bare names"},
	}
	for _, tt := range tests {
		var cfg Config
		err := yaml.Unmarshal([]byte(tt.in), &cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestConfigDefaultsProcessAndUnit(t *testing.T) {
	var cfg Config
	if err := yaml.Unmarshal([]byte(`{names: [postgresql, docker, nginx], services: [{name: cache, process: redis-server}]}`), &cfg); err != nil {
		t.Fatal(err)
	}
	svcs, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := []Service{
		{Name: "postgresql", Process: "postgres", Unit: "postgresql.service"},
		{Name: "docker", Process: "dockerd", Unit: "docker.service"},
		{Name: "nginx", Process: "nginx", Unit: "nginx.service"},
		{Name: "cache", Process: "redis-server", Unit: "cache.service"},
	}
	if cfg.Backend != BackendAuto || len(svcs) != len(want) {
		t.Fatalf("got %+v backend %q", svcs, cfg.Backend)
	}
	for i := range want {
		if svcs[i] != want[i] {
			t.Errorf("service %d = %+v, want %+v", i, svcs[i], want[i])
		}
	}
}

func BenchmarkProcessBackend(b *testing.B) {
	c, err := newCollector(Config{Names: []string{"postgresql", "redis-server", "nginx", "docker"}, Backend: BackendProcess}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ch := make(chan prometheus.Metric, 16)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Update(context.Background(), ch); err != nil {
			b.Fatal(err)
		}
		for len(ch) > 0 {
			<-ch
		}
	}
}
