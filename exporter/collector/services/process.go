package services

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
)

// commLen is TASK_COMM_LEN - 1: /proc/<pid>/comm holds at most 15 bytes.
const commLen = 15

// processMetrics scans the process table once and reports each service as up
// when a live (not zombie) process of its name exists.
func (c *servicesCollector) processMetrics(ctx context.Context) ([]prometheus.Metric, error) {
	running, err := scanProcesses(ctx, c.procRoot, c.services)
	if err != nil {
		return nil, err
	}
	out := make([]prometheus.Metric, 0, len(c.services))
	for _, s := range c.services {
		v := 0.0
		if running[s.Name] {
			v = 1
		}
		out = append(out, prometheus.MustNewConstMetric(serviceUpDesc, prometheus.GaugeValue, v, s.Name, BackendProcess))
	}
	return out, nil
}

// scanProcesses returns the names of the services with a running process.
// It reads only comm for every process; stat and cmdline only for the few
// whose comm matches.
func scanProcesses(ctx context.Context, procRoot string, svcs []Service) (map[string]bool, error) {
	byComm := map[string][]Service{}
	for _, s := range svcs {
		comm := s.Process[:min(len(s.Process), commLen)]
		byComm[comm] = append(byComm[comm], s)
	}
	dir, err := os.Open(procRoot)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	pids, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", procRoot, err)
	}
	running := map[string]bool{}
	var buf [512]byte
	for _, pid := range pids {
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		comm := readSmall(filepath.Join(procRoot, pid, "comm"), buf[:])
		cands := byComm[string(bytes.TrimSuffix(comm, []byte("\n")))]
		if len(cands) == 0 || !alive(filepath.Join(procRoot, pid), buf[:]) {
			continue
		}
		for _, s := range cands {
			if len(s.Process) <= commLen || argv0Is(filepath.Join(procRoot, pid, "cmdline"), s.Process, buf[:]) {
				running[s.Name] = true
			}
		}
	}
	return running, nil
}

// readSmall reads up to len(buf) bytes of a file; a process that exited
// meanwhile reads as empty.
func readSmall(path string, buf []byte) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	n, _ := f.Read(buf)
	return buf[:n]
}

// alive reports whether the process is not a zombie (state Z) or dead (X):
// a crashed daemon whose parent has not reaped it is not running.
func alive(pidDir string, buf []byte) bool {
	stat := readSmall(filepath.Join(pidDir, "stat"), buf)
	// The state follows the last ')' (comm may itself contain parentheses).
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X' && state != 'x'
}

// argv0Is matches names longer than comm can hold against the base name of
// argv[0]. Kernel threads have an empty cmdline and never match.
func argv0Is(path, want string, buf []byte) bool {
	cmd := readSmall(path, buf)
	if i := bytes.IndexByte(cmd, 0); i >= 0 {
		cmd = cmd[:i]
	}
	return len(cmd) > 0 && filepath.Base(string(cmd)) == want
}
