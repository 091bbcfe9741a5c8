package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errPending means the hash is still being computed in the background.
var errPending = errors.New("checksum still being computed")

// fileKey identifies a file's content well enough to reuse its hash: a
// backup rewritten in place changes size or mtime.
type fileKey struct {
	path    string
	size    int64
	modTime int64
}

type hashResult struct {
	sum string
	err error
}

// hasher computes SHA-256s in the background, one file at a time, and
// remembers the last results, so that a multi-GB backup is read once, not on
// every scrape, and a scrape never waits past its deadline for it.
type hasher struct {
	logger *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	hashes atomic.Int64 // files hashed; tests and benchmarks read it

	mu      sync.Mutex
	done    map[fileKey]hashResult
	running *hashJob
}

type hashJob struct {
	key    fileKey
	done   chan struct{}
	result hashResult
}

// maxCached bounds the cache; only the newest file of a location matters.
const maxCached = 4

func newHasher(logger *slog.Logger) *hasher {
	ctx, cancel := context.WithCancel(context.Background())
	return &hasher{logger: logger, ctx: ctx, cancel: cancel, done: map[fileKey]hashResult{}}
}

func (h *hasher) close() { h.cancel() }

// sum returns the hex SHA-256 of f, from the cache when f is unchanged.
// Otherwise it starts (or joins) the computation and waits for it until ctx
// ends, returning errPending then.
func (h *hasher) sum(ctx context.Context, f file) (string, error) {
	key := fileKey{f.path, f.size, f.modTime.UnixNano()}
	h.mu.Lock()
	if r, ok := h.done[key]; ok {
		h.mu.Unlock()
		return r.sum, r.err
	}
	job := h.running
	if job == nil || job.key != key {
		job = &hashJob{key: key, done: make(chan struct{})}
		h.running = job
		go h.run(job)
	}
	h.mu.Unlock()

	select {
	case <-job.done:
		return job.result.sum, job.result.err
	case <-ctx.Done():
		return "", errPending
	}
}

func (h *hasher) run(job *hashJob) {
	start := time.Now()
	sum, err := hashFile(h.ctx, job.key.path)
	h.hashes.Add(1)
	job.result = hashResult{sum: sum, err: err}
	h.mu.Lock()
	if len(h.done) >= maxCached {
		clear(h.done)
	}
	if h.ctx.Err() == nil {
		h.done[job.key] = job.result
	}
	if h.running == job {
		h.running = nil
	}
	h.mu.Unlock()
	close(job.done)
	h.logger.Debug("hashed backup", "file", job.key.path, "bytes", job.key.size, "duration", time.Since(start))
}

func hashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// lookupSum reads a sha256sum-format file ("<hex>  <name>", "<hex> *<name>",
// BSD "SHA256 (<name>) = <hex>", or a bare "<hex>") and returns the digest
// listed for name. In a sidecar (one file per backup) a lone entry counts
// whatever name it carries, since the sidecar is named after its backup.
func lookupSum(path, name string, sidecar bool) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var entries [][2]string // digest, name
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		digest, file, err := parseSumLine(line)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		entries = append(entries, [2]string{digest, file})
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	for _, e := range entries {
		if filepath.Base(e[1]) == name {
			return e[0], nil
		}
	}
	if sidecar && len(entries) == 1 {
		return entries[0][0], nil
	}
	return "", fmt.Errorf("%s lists no SHA-256 for %s", path, name)
}

func parseSumLine(line string) (digest, name string, err error) {
	if rest, ok := strings.CutPrefix(line, "SHA256 ("); ok {
		n, d, ok := strings.Cut(rest, ") = ")
		if !ok {
			return "", "", fmt.Errorf("invalid line %q", line)
		}
		digest, name = d, n
	} else {
		d, n, _ := strings.Cut(line, " ")
		digest, name = d, strings.TrimPrefix(strings.TrimLeft(n, " "), "*")
	}
	digest = strings.ToLower(digest)
	if b, err := hex.DecodeString(digest); err != nil || len(b) != sha256.Size {
		return "", "", fmt.Errorf("invalid SHA-256 %q", digest)
	}
	return digest, name, nil
}
