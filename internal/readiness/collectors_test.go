package readiness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeBackup(t *testing.T, dir, name, content, sum string, age time.Duration) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if sum != "" {
		if err := os.WriteFile(p+".sha256", []byte(sum+"  "+name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	when := time.Now().Add(-age)
	if err := os.Chtimes(p, when, when); err != nil {
		t.Fatal(err)
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Backups through the exporter's backup collector: fresh, verified,
// restore tested and copied off-site; each way of falling short fails with
// its own reason.
func TestBackupItems(t *testing.T) {
	root := t.TempDir()
	good, stale, corrupt, offsite := filepath.Join(root, "good"), filepath.Join(root, "stale"), filepath.Join(root, "corrupt"), filepath.Join(root, "offsite")
	writeBackup(t, good, "db.dump", "data", sha("data"), time.Hour)
	writeBackup(t, stale, "db.dump", "old", sha("old"), 72*time.Hour)
	writeBackup(t, corrupt, "db.dump", "data", sha("other"), time.Hour)
	writeBackup(t, offsite, "db.dump", "data", "", 2*time.Hour)
	marker := filepath.Join(root, "restored")
	writeBackup(t, root, "restored", "", "", 24*time.Hour)
	exporter := fmt.Sprintf(`
backups:
  - {name: good, path: %s, checksum: {sidecar: true}, restore_marker: %s, offsite_path: %s}
  - {name: stale, path: %s, checksum: {sidecar: true}}
  - {name: corrupt, path: %s, checksum: {sidecar: true}}
  - {name: empty, path: %s, restore_marker: %s/none}
`, good, marker, offsite, stale, corrupt, filepath.Join(root, "nothing"), root)
	c := checklistT(t, `
items:
  - {name: good, backup: {name: good, max_age: 26h, restore_tested_within: 30d, offsite_max_age: 48h}}
  - {name: restore-old, backup: {name: good, max_age: 26h, restore_tested_within: 12h}}
  - {name: offsite-old, backup: {name: good, max_age: 26h, offsite_max_age: 1h}}
  - {name: stale, backup: {name: stale, max_age: 26h}}
  - {name: corrupt, backup: {name: corrupt, max_age: 26h}}
  - {name: empty, backup: {name: empty, max_age: 26h, restore_tested_within: 30d}}
`, exporter)
	_, res := runT(t, c, nil)
	wantStatus(t, res, "good", StatusPass, "checksum verified, restore tested")
	wantStatus(t, res, "restore-old", StatusFail, "more than restore_tested_within 12h")
	wantStatus(t, res, "offsite-old", StatusFail, "more than offsite_max_age 1h")
	wantStatus(t, res, "stale", StatusFail, "more than max_age 1d2h")
	wantStatus(t, res, "corrupt", StatusFail, "does not match its SHA-256")
	wantStatus(t, res, "empty", StatusFail, "no backup files")
}

func TestBackupItemNeedsWhatTheExporterRecords(t *testing.T) {
	dir := t.TempDir()
	exp := filepath.Join(dir, "exporter.yml")
	if err := os.WriteFile(exp, fmt.Appendf(nil, "backups:\n  - {name: nightly, path: %s}\n", dir), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Parse([]byte("exporter_config: "+exp+"\nitems:\n  - name: b\n    backup:\n      name: nightly\n      max_age: 1d\n      offsite_max_age: 2d\n"), dir)
	want := `line 7: items[0].backup.offsite_max_age: backup "nightly" has no offsite_path in the exporter config`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// Services as the exporter's services section watches them, here by
// process: this test's own process runs, a made-up one does not.
func TestServicesItems(t *testing.T) {
	self, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	exporter := fmt.Sprintf(`
services:
  backend: process
  services:
    - {name: me, process: %s}
    - {name: ghost, process: golive-no-such-process}
`, strings.TrimSpace(string(self)))
	c := checklistT(t, `
items:
  - {name: me-running, services: {names: [me]}}
  - {name: both-running, services: {names: [me, ghost]}}
`, exporter)
	_, res := runT(t, c, nil)
	wantStatus(t, res, "me-running", StatusPass, "running: me")
	wantStatus(t, res, "both-running", StatusFail, "not running: ghost")

	_, err = Parse([]byte("exporter_config: "+filepath.Join(filepath.Dir(c.path), "exporter.yml")+"\nitems:\n  - {name: s, services: {names: [nginx]}}\n"), "")
	if err == nil || !strings.Contains(err.Error(), `items[0].services.names[0]: "nginx" is not a service of the exporter config (have: me, ghost)`) {
		t.Errorf("a service the exporter does not watch: %v", err)
	}
}
