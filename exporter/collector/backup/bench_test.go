package backup

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkUpdateChecksumCached scrapes a location whose newest backup is
// 64 MiB: after the first scrape the hash comes from the cache, so a scrape
// costs a directory listing and a sidecar read. Compare with
// BenchmarkUpdateChecksumUncached, which touches the file every iteration.
func BenchmarkUpdateChecksumCached(b *testing.B)   { benchUpdate(b, false) }
func BenchmarkUpdateChecksumUncached(b *testing.B) { benchUpdate(b, true) }

func benchUpdate(b *testing.B, touch bool) {
	dir := b.TempDir()
	path := filepath.Join(dir, "db.dump")
	content := strings.Repeat("backup", 64<<20/6)
	write(b, path, content, t0)
	write(b, path+".sha256", sha(content)+"  db.dump\n", t0)
	c := mustNew(b, "{name: bench, path: "+dir+", pattern: '*.dump', checksum: {sidecar: true}}")
	ch := make(chan prometheus.Metric, 16)
	mtime := t0
	b.SetBytes(int64(len(content)))
	b.ResetTimer()
	for b.Loop() {
		if touch {
			mtime = mtime.Add(time.Second)
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Update(context.Background(), ch); err != nil {
			b.Fatal(err)
		}
		for len(ch) > 0 {
			<-ch
		}
	}
	b.ReportMetric(float64(c.hasher.hashes.Load())/float64(b.N), "hashes/op")
}
