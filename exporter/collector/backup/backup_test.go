package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gopkg.in/yaml.v3"
)

var (
	t0 = time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
)

func write(t testing.TB, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// collect runs Update once and returns the exposition of what it sent and
// the error it returned.
type result struct {
	c   *backupCollector
	err error
}

func (r *result) Describe(chan<- *prometheus.Desc) {}
func (r *result) Collect(ch chan<- prometheus.Metric) {
	r.err = r.c.Update(context.Background(), ch)
}

func mustNew(t testing.TB, yml string) *backupCollector {
	t.Helper()
	var cfg Config
	if err := yaml.Unmarshal([]byte(yml), &cfg); err != nil {
		t.Fatal(err)
	}
	c, err := newCollector(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func expect(t *testing.T, c *backupCollector, want string) error {
	t.Helper()
	r := &result{c: c}
	if err := testutil.CollectAndCompare(r, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	return r.err
}

const help = `# HELP golive_backup_files Number of backup files matching the pattern.
# TYPE golive_backup_files gauge
# HELP golive_backup_newest_size_bytes Size of the newest backup file.
# TYPE golive_backup_newest_size_bytes gauge
# HELP golive_backup_newest_timestamp_seconds Modification time of the newest backup file, 0 when there is none.
# TYPE golive_backup_newest_timestamp_seconds gauge
`

const checksumHelp = `# HELP golive_backup_checksum_ok Whether the newest backup matches its SHA-256 (1) or not, or has none (0).
# TYPE golive_backup_checksum_ok gauge
`

func TestNewestFileSidecarRestoreAndOffsite(t *testing.T) {
	dir, off := t.TempDir(), t.TempDir()
	write(t, filepath.Join(dir, "pg-0501.dump"), "old", t0)
	write(t, filepath.Join(dir, "pg-0502.dump"), "newest backup", t1)
	write(t, filepath.Join(dir, "pg-0502.dump.sha256"), sha("newest backup")+"  /var/backups/pg/pg-0502.dump\n", t1)
	write(t, filepath.Join(dir, "notes.txt"), "not a backup", t1.Add(time.Hour))
	write(t, filepath.Join(dir, ".restore-tested"), "", t0.Add(3*time.Hour))
	write(t, filepath.Join(off, "pg-0501.dump"), "old", t0.Add(time.Hour))
	c := mustNew(t, `
name: pg
path: `+dir+`
pattern: "*.dump*"
checksum: {sidecar: true}
restore_marker: `+filepath.Join(dir, ".restore-tested")+`
offsite_path: `+off+`
offsite_pattern: "*.dump"
`)
	err := expect(t, c, help+`golive_backup_files{backup="pg"} 2
golive_backup_newest_size_bytes{backup="pg"} 13
golive_backup_newest_timestamp_seconds{backup="pg"} 1.7776872e+09
`+checksumHelp+`golive_backup_checksum_ok{backup="pg"} 1
# HELP golive_backup_restore_test_timestamp_seconds Modification time of the restore-test marker, 0 when there is none.
# TYPE golive_backup_restore_test_timestamp_seconds gauge
golive_backup_restore_test_timestamp_seconds{backup="pg"} 1.7776116e+09
# HELP golive_backup_offsite_newest_timestamp_seconds Modification time of the newest off-site copy, 0 when there is none.
# TYPE golive_backup_offsite_newest_timestamp_seconds gauge
golive_backup_offsite_newest_timestamp_seconds{backup="pg"} 1.7776044e+09
`)
	if err != nil {
		t.Errorf("Update: %v", err)
	}
}

func TestChecksumFailures(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"corrupted backup", map[string]string{"b.tar": "bit rot", "b.tar.sha256": sha("original") + "  b.tar\n"}, "0"},
		{"missing sidecar", map[string]string{"b.tar": "data"}, "0"},
		{"malformed sidecar", map[string]string{"b.tar": "data", "b.tar.sha256": "not-a-digest  b.tar\n"}, "0"},
		{"binary-mode sidecar in upper case", map[string]string{"b.tar": "data", "b.tar.sha256": strings.ToUpper(sha("data")) + " *b.tar\n"}, "1"},
		{"BSD format", map[string]string{"b.tar": "data", "b.tar.sha256": "SHA256 (b.tar) = " + sha("data") + "\n"}, "1"},
		{"no backup at all", map[string]string{}, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				write(t, filepath.Join(dir, name), content, t0)
			}
			c := mustNew(t, "{name: b, path: "+dir+", checksum: {sidecar: true}}")
			r := &result{c: c}
			if got := testutil.ToFloat64(filtered{r, "golive_backup_checksum_ok"}); got != mustFloat(tt.want) {
				t.Errorf("checksum_ok = %v, want %s", got, tt.want)
			}
			if r.err != nil {
				t.Errorf("Update: %v (a bad backup is a finding, not a collector error)", r.err)
			}
		})
	}
}

func TestManifest(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.gz"), "A", t0)
	write(t, filepath.Join(dir, "b.gz"), "B", t1)
	write(t, filepath.Join(dir, "SHA256SUMS"), sha("A")+"  a.gz\n"+sha("B")+"  ./b.gz\n", t1.Add(time.Minute))
	c := mustNew(t, "{name: m, path: "+dir+", checksum: {manifest: SHA256SUMS}}")
	err := expect(t, c, help+`golive_backup_files{backup="m"} 2
golive_backup_newest_size_bytes{backup="m"} 1
golive_backup_newest_timestamp_seconds{backup="m"} 1.7776872e+09
`+checksumHelp+`golive_backup_checksum_ok{backup="m"} 1
`)
	if err != nil {
		t.Error(err)
	}
	// A newer backup the manifest does not list fails verification.
	write(t, filepath.Join(dir, "c.gz"), "C", t1.Add(time.Hour))
	if got := testutil.ToFloat64(filtered{&result{c: c}, "golive_backup_checksum_ok"}); got != 0 {
		t.Errorf("unlisted newest backup: checksum_ok = %v, want 0", got)
	}
}

func TestMissingDirectories(t *testing.T) {
	root := t.TempDir()
	c := mustNew(t, `
name: gone
path: `+filepath.Join(root, "absent")+`
checksum: {sidecar: true}
restore_marker: `+filepath.Join(root, "never-tested")+`
offsite_path: `+filepath.Join(root, "offsite-unmounted")+`
`)
	err := expect(t, c, help+`golive_backup_files{backup="gone"} 0
golive_backup_newest_size_bytes{backup="gone"} 0
golive_backup_newest_timestamp_seconds{backup="gone"} 0
`+checksumHelp+`golive_backup_checksum_ok{backup="gone"} 0
# HELP golive_backup_restore_test_timestamp_seconds Modification time of the restore-test marker, 0 when there is none.
# TYPE golive_backup_restore_test_timestamp_seconds gauge
golive_backup_restore_test_timestamp_seconds{backup="gone"} 0
# HELP golive_backup_offsite_newest_timestamp_seconds Modification time of the newest off-site copy, 0 when there is none.
# TYPE golive_backup_offsite_newest_timestamp_seconds gauge
golive_backup_offsite_newest_timestamp_seconds{backup="gone"} 0
`)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "backup directory") || !strings.Contains(err.Error(), "off-site directory") {
		t.Errorf("Update error = %v, want both missing directories reported", err)
	}
	if strings.Contains(err.Error(), "restore marker") {
		t.Errorf("a missing restore marker means never tested, not a collector error: %v", err)
	}
}

func TestHungMountDoesNotStackScans(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "db.dump"), "x", time.Unix(1_700_000_000, 0))
	c := mustNew(t, "name: nfs\npath: "+dir+"\n")
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	scan := c.scan
	c.scan = func(dir, pattern string, skip func(string) bool) (file, int, error) {
		entered <- struct{}{}
		<-release // a statfs/readdir that does not return
		return scan(dir, pattern, skip)
	}
	// The first scrape hangs in the filesystem; the runner would abandon it.
	go c.Update(context.Background(), make(chan prometheus.Metric, 16))
	<-entered

	// Later scrapes answer at once with no backups visible and an error,
	// without another goroutine entering the hung call.
	for range 3 {
		err := expect(t, c, help+`golive_backup_files{backup="nfs"} 0
golive_backup_newest_size_bytes{backup="nfs"} 0
golive_backup_newest_timestamp_seconds{backup="nfs"} 0
`)
		if !errors.Is(err, errStillReading) {
			t.Fatalf("while hung: err = %v, want errStillReading", err)
		}
	}
	if n := len(entered); n != 0 {
		t.Fatalf("%d more scans entered the hung filesystem", n)
	}

	// Once the mount answers, scans resume.
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ch := make(chan prometheus.Metric, 16)
		if err := c.Update(context.Background(), ch); !errors.Is(err, errStillReading) {
			if err != nil {
				t.Fatalf("after recovery: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("scans did not resume after the filesystem answered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestChecksumIsCachedUntilTheFileChanges(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.bak")
	write(t, path, "v1", t0)
	write(t, path+".sha256", sha("v1")+"  x.bak\n", t0)
	c := mustNew(t, "{name: x, path: "+dir+", pattern: '*.bak', checksum: {sidecar: true}}")
	for range 3 {
		if got := testutil.ToFloat64(filtered{&result{c: c}, "golive_backup_checksum_ok"}); got != 1 {
			t.Fatalf("checksum_ok = %v", got)
		}
	}
	if n := c.hasher.hashes.Load(); n != 1 {
		t.Errorf("hashed %d times over 3 scrapes, want 1", n)
	}
	// Rewritten in place with the same size: the new mtime invalidates.
	write(t, path, "v2", t1)
	if got := testutil.ToFloat64(filtered{&result{c: c}, "golive_backup_checksum_ok"}); got != 0 {
		t.Errorf("after rewrite checksum_ok = %v, want 0 (sidecar still lists v1)", got)
	}
	if n := c.hasher.hashes.Load(); n != 2 {
		t.Errorf("hashed %d times, want 2 after the rewrite", n)
	}
}

func TestSlowChecksumDoesNotHoldTheScrape(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.bak")
	write(t, path, strings.Repeat("x", 64<<20), t0)
	write(t, path+".sha256", sha(strings.Repeat("x", 64<<20))+"  big.bak\n", t0)
	c := mustNew(t, "{name: big, path: "+dir+", pattern: '*.bak', checksum: {sidecar: true}}")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a scrape whose deadline has already passed
	ch := make(chan prometheus.Metric, 10)
	if err := c.Update(ctx, ch); err != nil {
		t.Fatal(err)
	}
	close(ch)
	for m := range ch {
		if strings.Contains(m.Desc().String(), "golive_backup_checksum_ok") {
			t.Error("checksum_ok reported before the hash was known")
		}
	}
	// The hash goes on in the background; a later scrape gets the verdict.
	if got := testutil.ToFloat64(filtered{&result{c: c}, "golive_backup_checksum_ok"}); got != 1 {
		t.Errorf("checksum_ok = %v, want 1", got)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{path: /x}`, "name must not be empty"},
		{`{name: a}`, `backup "a": path must not be empty`},
		{`{name: a, path: /x, pattern: "[a"}`, `backup "a": pattern "[a"`},
		{`{name: a, path: /x, checksum: {}}`, "exactly one of sidecar: true or manifest"},
		{`{name: a, path: /x, checksum: {sidecar: true, manifest: S}}`, "exactly one of"},
	}
	for _, tt := range tests {
		var cfg Config
		err := yaml.Unmarshal([]byte(tt.in), &cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.in, err, tt.want)
		}
	}
	c, err := New(Config{Name: "d", Path: "/x"}, nil)
	if err != nil || c.Name() != "backup" || c.Target() != "d" {
		t.Errorf("New = %v, %v", c, err)
	}
}

// filtered passes on only the samples of one metric name.
type filtered struct {
	c    prometheus.Collector
	name string
}

func (f filtered) Describe(chan<- *prometheus.Desc) {}
func (f filtered) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric, 16)
	go func() { f.c.Collect(all); close(all) }()
	for m := range all {
		if strings.Contains(m.Desc().String(), `"`+f.name+`"`) {
			ch <- m
		}
	}
}

func mustFloat(s string) float64 {
	if s == "1" {
		return 1
	}
	return 0
}
