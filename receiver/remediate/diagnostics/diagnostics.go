// Package diagnostics is the `diagnostics` remediation kind (runbook
// R5.5, P2): uptime, load, memory, disk, the top processes by CPU and by
// memory, and the tail of configured log files, read in process from
// /proc (procfs, as node_exporter does) and statfs, never through a shell.
// Each item is bounded, and so is the whole capture; it is attached to the
// incident (the attempt's report) and shown by the API.
package diagnostics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"

	"github.com/golive-ops/golive/receiver/remediate/action"
)

// Config is a diagnostics action.
type Config struct {
	// Paths are the filesystems whose usage is captured (default "/").
	Paths []string `yaml:"paths,omitempty"`
	// LogFiles are tailed (TailBytes from the end of each).
	LogFiles  []string `yaml:"log_files,omitempty"`
	TailBytes int      `yaml:"tail_bytes,omitempty"` // default 8 KiB
	// TopProcesses per ranking (default 10).
	TopProcesses int `yaml:"top_processes,omitempty"`
	// MaxItemBytes bounds one item (default 16 KiB), MaxTotalBytes the
	// whole capture (default 128 KiB).
	MaxItemBytes  int `yaml:"max_item_bytes,omitempty"`
	MaxTotalBytes int `yaml:"max_total_bytes,omitempty"`
	// ProcRoot is where procfs is mounted (default /proc).
	ProcRoot string `yaml:"proc_root,omitempty"`
}

// Validate checks c.
func (c *Config) Validate(field string) error {
	if c.TailBytes < 0 || c.TopProcesses < 0 || c.MaxItemBytes < 0 || c.MaxTotalBytes < 0 {
		return fmt.Errorf("%s: sizes and counts cannot be negative", field)
	}
	for i, p := range c.Paths {
		if p == "" {
			return fmt.Errorf("%s.paths[%d]: empty", field, i)
		}
	}
	for i, p := range c.LogFiles {
		if p == "" {
			return fmt.Errorf("%s.log_files[%d]: empty", field, i)
		}
	}
	return nil
}

// Action is a configured diagnostics capture.
type Action struct {
	c  Config
	fs procfs.FS
}

// New returns the action.
func New(c Config) (*Action, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.TailBytes, 8<<10)
	def(&c.TopProcesses, 10)
	def(&c.MaxItemBytes, 16<<10)
	def(&c.MaxTotalBytes, 128<<10)
	if len(c.Paths) == 0 {
		c.Paths = []string{"/"}
	}
	if c.ProcRoot == "" {
		c.ProcRoot = procfs.DefaultMountPoint
	}
	fs, err := procfs.NewFS(c.ProcRoot)
	if err != nil {
		return nil, fmt.Errorf("diagnostics: %w", err)
	}
	return &Action{c: c, fs: fs}, nil
}

// Idempotent implements action.Action: reading is harmless.
func (a *Action) Idempotent() bool { return true }

// Plan implements action.Action: diagnostics take no label input.
func (a *Action) Plan(action.Trigger) (action.Request, error) {
	return action.Request{Detail: map[string]string{
		"items": "uptime, load, memory, disk, top processes by cpu and memory, log tails",
		"paths": strings.Join(a.c.Paths, ","), "log_files": strings.Join(a.c.LogFiles, ","),
	}}, nil
}

// Run implements action.Action. An item that cannot be read says so in
// its own text; the capture fails only when every item failed.
func (a *Action) Run(ctx context.Context, _ action.Request) (action.Report, bool, error) {
	start := time.Now()
	var rep action.Report
	items := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"uptime", a.uptime}, {"load", a.load}, {"memory", a.memory}, {"disk", a.disk},
		{"top_cpu", func(ctx context.Context) (string, error) { return a.top(ctx, true) }},
		{"top_memory", func(ctx context.Context) (string, error) { return a.top(ctx, false) }},
	}
	for _, f := range a.c.LogFiles {
		items = append(items, struct {
			name string
			fn   func(context.Context) (string, error)
		}{"log " + f, func(context.Context) (string, error) { return tail(f, a.c.TailBytes) }})
	}
	total, failed := 0, 0
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return rep, true, fmt.Errorf("diagnostics: %w", err)
		}
		text, err := it.fn(ctx)
		if err != nil {
			failed++
			text = "unavailable: " + err.Error()
		}
		att := action.Attachment{Name: it.name, Content: text}
		limit := min(a.c.MaxItemBytes, a.c.MaxTotalBytes-total)
		if limit <= 0 {
			rep.Truncated = true
			break
		}
		if len(att.Content) > limit {
			att.Content, att.Truncated = strings.ToValidUTF8(att.Content[:limit], ""), true
		}
		total += len(att.Content)
		rep.Attachments = append(rep.Attachments, att)
	}
	rep.Duration = time.Since(start)
	rep.Output = fmt.Sprintf("%d items, %d bytes", len(rep.Attachments), total)
	if failed == len(items) {
		return rep, false, errors.New("diagnostics: no item could be read")
	}
	return rep, false, nil
}

func (a *Action) uptime(context.Context) (string, error) {
	st, err := a.fs.Stat()
	if err != nil {
		return "", err
	}
	boot := time.Unix(int64(st.BootTime), 0)
	return fmt.Sprintf("up %s (booted %s)", time.Since(boot).Truncate(time.Second), boot.UTC().Format(time.RFC3339)), nil
}

func (a *Action) load(context.Context) (string, error) {
	l, err := a.fs.LoadAvg()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("load1 %.2f load5 %.2f load15 %.2f", l.Load1, l.Load5, l.Load15), nil
}

func (a *Action) memory(context.Context) (string, error) {
	m, err := a.fs.Meminfo()
	if err != nil {
		return "", err
	}
	v := func(p *uint64) uint64 {
		if p == nil {
			return 0
		}
		return *p
	}
	total, avail := v(m.MemTotal), v(m.MemAvailable)
	used := 0.0
	if total > 0 {
		used = 100 * float64(total-avail) / float64(total)
	}
	return fmt.Sprintf("total %d KiB, available %d KiB (%.1f%% used), swap total %d KiB, swap free %d KiB",
		total, avail, used, v(m.SwapTotal), v(m.SwapFree)), nil
}

func (a *Action) disk(context.Context) (string, error) {
	var b strings.Builder
	for _, p := range a.c.Paths {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err != nil {
			fmt.Fprintf(&b, "%s: %v\n", p, err)
			continue
		}
		size, avail := st.Blocks*uint64(st.Bsize), st.Bavail*uint64(st.Bsize)
		used := 0.0
		if size > 0 {
			used = 100 * float64(size-avail) / float64(size)
		}
		fmt.Fprintf(&b, "%s: size %d bytes, available %d bytes (%.1f%% used)\n", p, size, avail, used)
	}
	return b.String(), nil
}

type proc struct {
	pid  int
	comm string
	cpu  float64 // seconds used during the sample
	rss  int
}

// top samples every process's CPU time twice, 500ms apart, and ranks by
// CPU used in between, or by resident memory.
func (a *Action) top(ctx context.Context, byCPU bool) (string, error) {
	first, err := a.sample()
	if err != nil {
		return "", err
	}
	if byCPU {
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	second, err := a.sample()
	if err != nil {
		return "", err
	}
	var ps []proc
	for pid, p := range second {
		if q, ok := first[pid]; ok {
			p.cpu -= q.cpu
		}
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(x, y proc) int {
		if byCPU {
			return cmp.Or(cmp.Compare(y.cpu, x.cpu), cmp.Compare(x.pid, y.pid))
		}
		return cmp.Or(cmp.Compare(y.rss, x.rss), cmp.Compare(x.pid, y.pid))
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%8s %8s %12s  %s\n", "PID", "CPU%", "RSS(bytes)", "COMMAND")
	for _, p := range ps[:min(len(ps), a.c.TopProcesses)] {
		fmt.Fprintf(&b, "%8d %8.1f %12d  %s\n", p.pid, 100*p.cpu/0.5, p.rss, p.comm)
	}
	return b.String(), nil
}

func (a *Action) sample() (map[int]proc, error) {
	procs, err := a.fs.AllProcs()
	if err != nil {
		return nil, err
	}
	out := make(map[int]proc, len(procs))
	for _, p := range procs {
		st, err := p.Stat()
		if err != nil {
			continue // exited meanwhile
		}
		out[p.PID] = proc{pid: p.PID, comm: st.Comm, cpu: st.CPUTime(), rss: st.ResidentMemory()}
	}
	return out, nil
}

// tail returns the last n bytes of path, starting at a line boundary.
func tail(path string, n int) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	off := max(0, info.Size()-int64(n))
	buf := make([]byte, info.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	s := string(buf)
	if off > 0 {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD"), nil
}
