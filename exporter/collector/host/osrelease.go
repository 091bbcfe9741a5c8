package host

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// os (os-release(5) under the root path), as node_exporter's os collector.
var (
	osInfoLabels = []string{"build_id", "id", "id_like", "image_id", "image_version", "name", "pretty_name",
		"variant", "variant_id", "version", "version_codename", "version_id"}
	osInfoDesc = desc("node_os_info",
		"A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
		osInfoLabels...)
	osVersionDesc = desc("node_os_version", "Metric containing the major.minor part of the OS version.", "id", "id_like", "name")
	// node_os_version's value: the leading major[.minor] of VERSION_ID.
	osVersionRe = regexp.MustCompile(`^[0-9]+\.?[0-9]*`)
	// os-release(5): the file, then the fallback every systemd system has.
	osReleasePaths = []string{"etc/os-release", "usr/lib/os-release"}
)

type osRelease struct {
	info    []string // values in osInfoLabels order
	version float64
	hasVer  bool
}

// osCollector re-reads the file only when its mtime or size changes: it is
// the same on every scrape of a host's life but an upgrade.
type osCollector struct {
	fs     hostFS
	logger *slog.Logger

	mu    sync.Mutex
	path  string
	mtime time.Time
	size  int64
	last  osRelease
}

func newOSCollector(fs hostFS, logger *slog.Logger) simple {
	c := &osCollector{fs: fs, logger: logger}
	return simple{name: OS, update: c.update}
}

func (c *osCollector) update(ch chan<- prometheus.Metric) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.read()
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(osInfoDesc, prometheus.GaugeValue, 1, r.info...)
	if r.hasVer {
		ch <- prometheus.MustNewConstMetric(osVersionDesc, prometheus.GaugeValue, r.version, r.info[1], r.info[2], r.info[5])
	}
	return nil
}

func (c *osCollector) read() (osRelease, error) {
	var errs []error
	for _, p := range osReleasePaths {
		path := c.fs.rootPath(p)
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		if err != nil {
			return osRelease{}, err
		}
		if path == c.path && st.ModTime().Equal(c.mtime) && st.Size() == c.size {
			return c.last, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return osRelease{}, err
		}
		r, err := parseOSRelease(b)
		if err != nil {
			return osRelease{}, fmt.Errorf("%s: %w", path, err)
		}
		c.path, c.mtime, c.size, c.last = path, st.ModTime(), st.Size(), r
		return r, nil
	}
	c.logger.Debug("no os-release file", "err", errors.Join(errs...))
	return osRelease{}, errNoData
}

// parseOSRelease reads os-release(5): KEY=value lines, values optionally in
// single or double quotes with shell-style backslash escapes; # comments.
func parseOSRelease(b []byte) (osRelease, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return osRelease{}, fmt.Errorf("line %d: no '=' in %q", n, line)
		}
		v, err := unquoteOSRelease(value)
		if err != nil {
			return osRelease{}, fmt.Errorf("line %d: %s: %w", n, key, err)
		}
		vars[key] = v
	}
	if err := sc.Err(); err != nil {
		return osRelease{}, err
	}
	r := osRelease{info: make([]string, len(osInfoLabels))}
	for i, l := range osInfoLabels {
		r.info[i] = vars[strings.ToUpper(l)]
	}
	if m := osVersionRe.FindString(vars["VERSION_ID"]); m != "" {
		if v, err := strconv.ParseFloat(m, 64); err == nil {
			r.version, r.hasVer = v, true
		}
	}
	return r, nil
}

func unquoteOSRelease(v string) (string, error) {
	if len(v) == 0 {
		return v, nil
	}
	q := v[0]
	if q != '"' && q != '\'' {
		return v, nil
	}
	if len(v) < 2 || v[len(v)-1] != q {
		return "", errors.New("unterminated quote")
	}
	v = v[1 : len(v)-1]
	if q == '\'' || !strings.Contains(v, `\`) {
		return v, nil
	}
	var sb strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		sb.WriteByte(v[i])
	}
	return sb.String(), nil
}
