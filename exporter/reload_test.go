package exporter

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golive-ops/golive/internal/cli"
)

const (
	configA = `
modules:
  mod_a:
    prober: tcp
`
	configB = `
modules:
  mod_b:
    prober: tcp
`
)

func TestReloadIsAllOrNothing(t *testing.T) {
	s := start(t, configA, constant("x", 1))
	probeA := "/probe?module=mod_a&target=127.0.0.1:1"
	probeB := "/probe?module=mod_b&target=127.0.0.1:1"

	// A broken file: the old config keeps serving, the metric says so.
	writeFile(t, s.configFile, configB+"  mod_c:\n    prober: ftp\n")
	code, body, _ := s.do(t, http.MethodPost, "/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, `prober: "ftp"`) {
		t.Errorf("reload of a bad config: status %d body %q; want 500 naming the field", code, body)
	}
	if code, _ := s.get(t, probeA); code != 200 {
		t.Errorf("after a failed reload, module mod_a answers %d, want 200 (old config kept)", code)
	}
	if code, _ := s.get(t, probeB); code != 400 {
		t.Errorf("after a failed reload, module mod_b answers %d, want 400", code)
	}
	_, metrics := s.get(t, "/metrics")
	if !hasLine(metrics, "golive_exporter_config_last_reload_successful 0") {
		t.Errorf("failed reload not reported:\n%s", grep(metrics, "reload"))
	}
	if !hasLine(metrics, `golive_test_value{source="x"} 1`) {
		t.Error("collectors of the old config stopped after a failed reload")
	}

	// A good file is swapped in whole.
	writeFile(t, s.configFile, configB)
	if code, body, _ := s.do(t, http.MethodPost, "/-/reload"); code != 200 {
		t.Fatalf("reload of a good config: %d %s", code, body)
	}
	if code, _ := s.get(t, probeB); code != 200 {
		t.Errorf("after reload, module mod_b answers %d, want 200", code)
	}
	if code, _ := s.get(t, probeA); code != 400 {
		t.Errorf("after reload, module mod_a answers %d, want 400", code)
	}
	_, metrics = s.get(t, "/metrics")
	if !hasLine(metrics, "golive_exporter_config_last_reload_successful 1") {
		t.Errorf("successful reload not reported:\n%s", grep(metrics, "reload"))
	}
}

// Reloads racing scrapes must neither block a scrape on a closed state nor
// close a state a scrape is still using (run with -race to check).
func TestReloadDuringScrapes(t *testing.T) {
	s := start(t, configA, constant("x", 1))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if err := s.app.Reload(); err != nil {
				t.Errorf("Reload: %v", err)
				return
			}
		}
	}()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-done:
			return
		case <-deadline:
			t.Fatal("reloads did not finish")
		default:
		}
		if code, body := s.get(t, "/metrics"); code != 200 || !hasLine(body, `golive_test_value{source="x"} 1`) {
			t.Fatalf("scrape during reloads: %d\n%s", code, body)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good, bad := dir+"/good.yml", dir+"/bad.yml"
	writeFile(t, good, configA+"host: {enabled: true}\n")
	writeFile(t, bad, "modules:\n  x:\n    prober: http\n    timout: 1s\n")
	var stdout, stderr strings.Builder
	env := cli.Env{Args: []string{"--config.file=" + good, "--config.check"}, Stdout: &stdout, Stderr: &stderr}
	if code := Command(t.Context(), env); code != 0 || !strings.HasPrefix(stdout.String(), "OK") {
		t.Errorf("--config.check of a good config: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	env.Args = []string{"--config.file=" + bad, "--config.check"}
	code := Command(t.Context(), env)
	if code != 1 || !strings.Contains(stderr.String(), `line 4: modules.x.timout: unknown field (did you mean timeout?)`) {
		t.Errorf("--config.check of a bad config: exit %d, stderr %q", code, stderr.String())
	}
	// What the run refuses, the check refuses.
	stderr.Reset()
	writeFile(t, bad, "postgres:\n  - name: p\n    dsn: postgres://127.0.0.1/x\nsql_checks:\n  - name: s\n    postgres: p\n    query: SELECT 1; DELETE FROM t\n")
	code = Command(t.Context(), env)
	if code != 1 || !strings.Contains(stderr.String(), "line 7: sql_checks[0].query: holds more than one SQL statement") {
		t.Errorf("--config.check of a two-statement SQL check: exit %d, stderr %q", code, stderr.String())
	}
}

// The example config shipped for `make run` must pass --config.check.
func TestExampleConfigChecks(t *testing.T) {
	var stdout, stderr strings.Builder
	env := cli.Env{Args: []string{"--config.file=../deploy/examples/exporter.yml", "--config.check"}, Stdout: &stdout, Stderr: &stderr}
	if code := Command(t.Context(), env); code != 0 {
		t.Errorf("deploy/examples/exporter.yml: exit %d: %s", code, stderr.String())
	}
}

func grep(body, substr string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A scrape arriving while a state is being closed must not queue behind the
// closer (which waits for the state's in-flight scrapes): during Close it is
// refused at once with 503 instead of hanging until those scrapes end.
func TestScrapeNeverWaitsForAClosingState(t *testing.T) {
	s := start(t, minimalConfig)
	st := s.app.state.Load()
	st.mu.RLock() // an in-flight scrape on the current state
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		s.app.Close()
	}()
	waitFor(t, func() bool { // Close now waits for the write lock
		if st.mu.TryRLock() {
			st.mu.RUnlock()
			return false
		}
		return true
	})
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.url + "/metrics")
	st.mu.RUnlock()
	if err != nil {
		t.Fatalf("scrape during Close: %v (it waited for the closing state)", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("scrape during Close: status %d, want 503", resp.StatusCode)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after the in-flight scrape ended")
	}
}
