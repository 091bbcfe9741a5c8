// Package pgfailover is the `postgres_failover` remediation kind.
//
// When a manager is configured golive never promotes by itself: with
// patroni it calls Patroni's REST `POST /failover` (200 done, 202
// scheduled, anything else failed) and leaves fencing to Patroni. Without
// one it runs a guarded promote for plain streaming replication, in this
// order, stopping at the first guard that does not hold:
//
//  1. the primary has been unreachable for primary_down_for (golive keeps
//     trying to connect; one answer refuses the failover);
//  2. the replica is in recovery and its replay lag (WAL received but not
//     replayed) is at most max_lag_bytes;
//  3. the old primary is fenced: its HAProxy server put in maintenance and
//     read back as such, or the fence command exits 0; a fence that fails
//     refuses the promotion;
//  4. pg_promote(true, wait) runs only if pg_is_in_recovery() is still true;
//  5. recovery must have ended and the timeline moved; then the replica's
//     HAProxy server, if configured, is set ready to take the writes.
//
// The old primary stays fenced: restarted, it comes up as a primary on the
// old timeline and would accept writes (split brain), so it must be
// rewound (pg_rewind) or rebuilt as a standby before anyone puts it back.
//
// DSNs are read from files at each run and never reach the request, the
// report, an error or a log line.
package pgfailover

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/common/model"

	"github.com/golive-ops/golive/internal/haproxy"
	"github.com/golive-ops/golive/receiver/remediate/action"
	"github.com/golive-ops/golive/receiver/remediate/execaction"
)

// Config is a postgres_failover action: Patroni, or the guarded promote.
type Config struct {
	Patroni *Patroni `yaml:"patroni,omitempty"`

	// PrimaryDSNFile and ReplicaDSNFile hold one DSN each (URL or
	// key=value form).
	PrimaryDSNFile string `yaml:"primary_dsn_file,omitempty"`
	ReplicaDSNFile string `yaml:"replica_dsn_file,omitempty"`
	// PrimaryDownFor is how long the primary must stay unreachable
	// (default 30s).
	PrimaryDownFor model.Duration `yaml:"primary_down_for,omitempty"`
	// MaxLagBytes is the most WAL the replica may have received and not
	// replayed (default 16 MiB).
	MaxLagBytes int64 `yaml:"max_lag_bytes,omitempty"`
	// Fence takes the old primary out of the write path; required.
	Fence *Fence `yaml:"fence,omitempty"`
	// PromoteTimeout is pg_promote's wait (default 60s).
	PromoteTimeout model.Duration `yaml:"promote_timeout,omitempty"`
	// ConnectTimeout bounds each connection attempt (default 3s).
	ConnectTimeout model.Duration `yaml:"connect_timeout,omitempty"`
}

// Patroni is the manager's REST API.
type Patroni struct {
	URL       string `yaml:"url"` // e.g. http://10.0.0.5:8008
	Candidate string `yaml:"candidate"`
	Leader    string `yaml:"leader,omitempty"`
	// BasicAuth is restapi.authentication (password from a file).
	BasicAuth *BasicAuth     `yaml:"basic_auth,omitempty"`
	Timeout   model.Duration `yaml:"timeout,omitempty"` // default 30s
}

// BasicAuth is a user and a password file.
type BasicAuth struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// Fence is exactly one of HAProxy and Command.
type Fence struct {
	HAProxy *HAProxyFence `yaml:"haproxy,omitempty"`
	// Command is an argv (absolute path, no shell) that must exit 0 once
	// the old primary can no longer take writes.
	Command []string       `yaml:"command,omitempty"`
	Timeout model.Duration `yaml:"timeout,omitempty"` // command's, default 30s
}

// HAProxyFence puts PrimaryServer in maintenance before the promotion and,
// when set, ReplicaServer ready after it.
type HAProxyFence struct {
	Socket        string `yaml:"socket"`
	Backend       string `yaml:"backend"`
	PrimaryServer string `yaml:"primary_server"`
	ReplicaServer string `yaml:"replica_server,omitempty"`
}

// Validate checks c without I/O; New checks the files.
func (c *Config) Validate(field string) error {
	if c.Patroni != nil {
		if c.PrimaryDSNFile != "" || c.ReplicaDSNFile != "" || c.Fence != nil {
			return fmt.Errorf("%s.patroni: exclusive with primary_dsn_file, replica_dsn_file and fence: Patroni decides and fences", field)
		}
		return c.Patroni.validate(field + ".patroni")
	}
	// In file order, so the first missing one is always the one named.
	for _, f := range []struct{ name, path string }{{"primary_dsn_file", c.PrimaryDSNFile}, {"replica_dsn_file", c.ReplicaDSNFile}} {
		if f.path == "" {
			return fmt.Errorf("%s.%s: required without patroni", field, f.name)
		}
	}
	if c.PrimaryDownFor < 0 || c.PromoteTimeout < 0 || c.ConnectTimeout < 0 || c.MaxLagBytes < 0 {
		return fmt.Errorf("%s: primary_down_for, max_lag_bytes, promote_timeout and connect_timeout cannot be negative", field)
	}
	if c.Fence == nil {
		return fmt.Errorf("%s.fence: required: the old primary is fenced before the replica is promoted (haproxy or command)", field)
	}
	f := c.Fence
	switch {
	case (f.HAProxy == nil) == (len(f.Command) == 0):
		return fmt.Errorf("%s.fence: exactly one of haproxy and command", field)
	case f.HAProxy != nil:
		h := f.HAProxy
		if _, _, err := haproxy.ParseAddress(h.Socket); err != nil {
			return fmt.Errorf("%s.fence.haproxy.socket: %w", field, err)
		}
		for _, f := range []struct{ name, v string }{{"backend", h.Backend}, {"primary_server", h.PrimaryServer}, {"replica_server", h.ReplicaServer}} {
			if f.v == "" && f.name == "replica_server" {
				continue
			}
			if !haproxy.ValidName(f.v) {
				return fmt.Errorf("%s.fence.haproxy.%s: %q is not a valid HAProxy name (letters, digits, '-', '_', '.', ':')", field, f.name, f.v)
			}
		}
	default:
		if !filepath.IsAbs(f.Command[0]) {
			return fmt.Errorf("%s.fence.command[0]: %q must be an absolute path", field, f.Command[0])
		}
		if b := filepath.Base(f.Command[0]); (b == "sh" || b == "bash" || b == "dash") && len(f.Command) > 1 && f.Command[1] == "-c" {
			return fmt.Errorf("%s.fence.command: a shell with -c is refused: give the program and its arguments", field)
		}
		if f.Timeout < 0 {
			return fmt.Errorf("%s.fence.timeout: cannot be negative", field)
		}
	}
	return nil
}

func (p *Patroni) validate(field string) error {
	u, err := url.Parse(p.URL)
	if p.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s.url: %q is not an http(s) URL", field, p.URL)
	}
	if u.User != nil {
		return fmt.Errorf("%s.url: credentials in the URL would be stored and shown; use basic_auth", field)
	}
	if p.Candidate == "" {
		return fmt.Errorf("%s.candidate: required (the member to promote; /failover has no default)", field)
	}
	if p.BasicAuth != nil {
		if p.BasicAuth.Username == "" || p.BasicAuth.PasswordFile == "" {
			return fmt.Errorf("%s.basic_auth: username and password_file are required", field)
		}
	}
	if p.Timeout < 0 {
		return fmt.Errorf("%s.timeout: cannot be negative", field)
	}
	return nil
}

// Action is a configured failover.
type Action struct {
	c      Config
	client *http.Client
	lb     *haproxy.Client
	// interval is the pause between connection attempts to the primary.
	interval time.Duration
}

// New checks that the credential files can be read (they are read again
// at each run, so a rotated password is picked up) and returns the action.
func New(c Config) (*Action, error) {
	files := map[string]string{"primary_dsn_file": c.PrimaryDSNFile, "replica_dsn_file": c.ReplicaDSNFile}
	if c.Patroni != nil && c.Patroni.BasicAuth != nil {
		files["patroni.basic_auth.password_file"] = c.Patroni.BasicAuth.PasswordFile
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if files[name] == "" {
			continue
		}
		if _, err := readFile(files[name]); err != nil {
			return nil, fmt.Errorf("postgres_failover.%s: %w", name, err)
		}
	}
	if c.PrimaryDownFor == 0 {
		c.PrimaryDownFor = model.Duration(30 * time.Second)
	}
	if c.MaxLagBytes == 0 {
		c.MaxLagBytes = 16 << 20
	}
	if c.PromoteTimeout == 0 {
		c.PromoteTimeout = model.Duration(60 * time.Second)
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = model.Duration(3 * time.Second)
	}
	a := &Action{c: c, interval: min(time.Second, time.Duration(c.PrimaryDownFor)/4)}
	if p := c.Patroni; p != nil {
		if p.Timeout == 0 {
			p.Timeout = model.Duration(30 * time.Second)
		}
		a.client = &http.Client{Timeout: time.Duration(p.Timeout),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.Fence != nil && c.Fence.HAProxy != nil {
		lb, err := haproxy.New(c.Fence.HAProxy.Socket, 0)
		if err != nil {
			return nil, fmt.Errorf("fence.haproxy.socket: %w", err)
		}
		a.lb = lb
	}
	return a, nil
}

// Idempotent implements action.Action: a failover is the one action that
// must never run twice without a person looking.
func (a *Action) Idempotent() bool { return false }

// Plan implements action.Action. Nothing of the trigger reaches the
// request: what fails over to what is configuration, not label values.
func (a *Action) Plan(action.Trigger) (action.Request, error) {
	if p := a.c.Patroni; p != nil {
		body, _ := json.Marshal(patroniBody{Leader: p.Leader, Candidate: p.Candidate})
		return action.Request{Method: http.MethodPost, URL: strings.TrimRight(p.URL, "/") + "/failover",
			Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}, nil
	}
	d := map[string]string{
		"mode":             "promote",
		"primary_dsn_file": a.c.PrimaryDSNFile, "replica_dsn_file": a.c.ReplicaDSNFile,
		"primary_down_for": a.c.PrimaryDownFor.String(),
		"max_lag_bytes":    strconv.FormatInt(a.c.MaxLagBytes, 10),
	}
	if h := a.c.Fence.HAProxy; h != nil {
		d["fence"] = fmt.Sprintf("haproxy %s: set server %s/%s state maint", a.lb, h.Backend, h.PrimaryServer)
		if h.ReplicaServer != "" {
			d["activate"] = fmt.Sprintf("haproxy %s: set server %s/%s state ready", a.lb, h.Backend, h.ReplicaServer)
		}
	} else {
		d["fence"] = "command " + action.Request{Argv: a.c.Fence.Command}.Summary()
	}
	return action.Request{Detail: d}, nil
}

type patroniBody struct {
	Leader    string `json:"leader,omitempty"`
	Candidate string `json:"candidate"`
}

// Run implements action.Action.
func (a *Action) Run(ctx context.Context, r action.Request) (action.Report, bool, error) {
	start := time.Now()
	var rep action.Report
	var retry bool
	var err error
	if a.c.Patroni != nil {
		rep, retry, err = a.patroni(ctx, r)
	} else {
		var log strings.Builder
		retry, err = a.promote(ctx, &log)
		if err != nil {
			fmt.Fprintf(&log, "failed: %v\n", err)
		}
		rep.Output = log.String()
	}
	rep.Duration = time.Since(start)
	return rep, retry, err
}

func (a *Action) patroni(ctx context.Context, r action.Request) (action.Report, bool, error) {
	var rep action.Report
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewBufferString(r.Body))
	if err != nil {
		return rep, false, fmt.Errorf("patroni: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if b := a.c.Patroni.BasicAuth; b != nil {
		pw, err := readFile(b.PasswordFile)
		if err != nil {
			return rep, false, fmt.Errorf("patroni basic_auth.password_file: %w", err)
		}
		req.SetBasicAuth(b.Username, pw)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		// Only a failed dial is sure to have sent nothing; after that the
		// failover may be under way, and a person decides.
		var op *net.OpError
		return rep, errors.As(err, &op) && op.Op == "dial", fmt.Errorf("patroni POST /failover: %w", err)
	}
	defer resp.Body.Close()
	out := &action.Bounded{Max: 16 << 10}
	_, _ = io.Copy(out, io.LimitReader(resp.Body, 16<<10+1))
	rep.HTTPStatus, rep.Output, rep.Truncated = resp.StatusCode, out.String(), out.Truncated()
	// 200 done, 202 scheduled; 503 is Patroni's "failover failed", which
	// a person looks at before anything tries again, like 400 and 412.
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted {
		return rep, false, nil
	}
	return rep, false, fmt.Errorf("patroni POST /failover: status %d: %s", resp.StatusCode, firstLine(rep.Output))
}

// ErrGuard is wrapped by every refusal of a guard: nothing was changed
// (or, after the fence, the fence is the only change).
var ErrGuard = errors.New("failover guard")

func (a *Action) promote(ctx context.Context, log *strings.Builder) (bool, error) {
	primaryDSN, err := readFile(a.c.PrimaryDSNFile)
	if err != nil {
		return false, fmt.Errorf("primary_dsn_file: %w", err)
	}
	replicaDSN, err := readFile(a.c.ReplicaDSNFile)
	if err != nil {
		return false, fmt.Errorf("replica_dsn_file: %w", err)
	}

	// 1. The primary stays unreachable for the whole window.
	down := time.Duration(a.c.PrimaryDownFor)
	until := time.Now().Add(down)
	tries := 0
	for {
		tries++
		if err := a.ping(ctx, primaryDSN); err == nil {
			return false, fmt.Errorf("%w: the primary answered (attempt %d within %s): not failing over a live primary", ErrGuard, tries, down)
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if !time.Now().Before(until) {
			break
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(min(a.interval, time.Until(until))):
		}
	}
	fmt.Fprintf(log, "primary unreachable: %d connection attempts over %s failed\n", tries, down)

	// 2. The replica is a caught-up standby.
	conn, err := a.connect(ctx, replicaDSN)
	if err != nil {
		return true, fmt.Errorf("%w: the replica is unreachable: %s", ErrGuard, scrub(err))
	}
	defer conn.Close(context.Background())
	st, err := readStandby(ctx, conn)
	if err != nil {
		return true, fmt.Errorf("replica: %s", scrub(err))
	}
	if !st.inRecovery {
		return false, fmt.Errorf("%w: the replica is not in recovery (timeline %d): it is a primary already; nothing promoted", ErrGuard, st.timeline)
	}
	fmt.Fprintf(log, "replica in recovery on timeline %d, replay lag %d bytes (limit %d)\n", st.timeline, st.lag, a.c.MaxLagBytes)
	if st.lag > a.c.MaxLagBytes {
		return false, fmt.Errorf("%w: the replica has %d bytes of WAL not replayed, more than max_lag_bytes %d", ErrGuard, st.lag, a.c.MaxLagBytes)
	}

	// 3. Fence the old primary; no fence, no promotion.
	if err := a.fence(ctx, log); err != nil {
		return false, fmt.Errorf("%w: fencing the old primary failed, not promoting: %w", ErrGuard, err)
	}

	// 4. Promote, only a standby.
	var inRecovery bool
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		return false, fmt.Errorf("replica: %s", scrub(err))
	}
	if !inRecovery {
		return false, fmt.Errorf("%w: the replica left recovery before pg_promote (promoted by someone else?); not promoting", ErrGuard)
	}
	wait := int(time.Duration(a.c.PromoteTimeout) / time.Second)
	var promoted bool
	pctx, cancel := context.WithTimeout(ctx, time.Duration(a.c.PromoteTimeout)+5*time.Second)
	defer cancel()
	if err := conn.QueryRow(pctx, "SELECT pg_promote(true, $1)", wait).Scan(&promoted); err != nil {
		return false, fmt.Errorf("pg_promote: %s", scrub(err))
	}
	if !promoted {
		return false, fmt.Errorf("pg_promote returned false: the replica did not finish promotion within %ds", wait)
	}
	fmt.Fprintln(log, "pg_promote(true, "+strconv.Itoa(wait)+") returned true")

	// 5. Verify: out of recovery, on a new timeline.
	var tl int64
	err = conn.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint`).Scan(&inRecovery, &tl)
	if err != nil {
		return false, fmt.Errorf("verify promotion: %s", scrub(err))
	}
	if inRecovery || tl <= st.timeline {
		return false, fmt.Errorf("verify promotion: in recovery %t, timeline %d (was %d): the promotion did not take", inRecovery, tl, st.timeline)
	}
	fmt.Fprintf(log, "new primary: out of recovery, timeline %d -> %d\n", st.timeline, tl)

	if h := a.c.Fence.HAProxy; h != nil && h.ReplicaServer != "" {
		if err := a.setAndCheck(ctx, h.Backend, h.ReplicaServer, haproxy.Ready); err != nil {
			return false, fmt.Errorf("promoted, but activating the new primary in HAProxy failed: %w", err)
		}
		fmt.Fprintf(log, "haproxy: %s/%s ready (the new primary takes the writes)\n", h.Backend, h.ReplicaServer)
	}
	fmt.Fprintln(log, "the old primary stays fenced: rewind (pg_rewind) or rebuild it as a standby before it rejoins")
	return false, nil
}

func (a *Action) fence(ctx context.Context, log *strings.Builder) error {
	f := a.c.Fence
	if h := f.HAProxy; h != nil {
		if err := a.setAndCheck(ctx, h.Backend, h.PrimaryServer, haproxy.Maint); err != nil {
			return err
		}
		fmt.Fprintf(log, "fenced: haproxy %s/%s in maintenance (read back)\n", h.Backend, h.PrimaryServer)
		return nil
	}
	timeout := time.Duration(f.Timeout)
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	rep, _, err := execaction.Run(ctx, execaction.Command{Argv: f.Command, Timeout: timeout, MaxOutputBytes: 4 << 10})
	fmt.Fprintf(log, "fence command %s: %s", action.Request{Argv: f.Command}.Summary(), rep.Output)
	if err != nil {
		return err
	}
	fmt.Fprintln(log, "fenced: the fence command exited 0")
	return nil
}

func (a *Action) setAndCheck(ctx context.Context, backend, server string, st haproxy.State) error {
	if err := a.lb.SetState(ctx, backend, server, st); err != nil {
		return err
	}
	got, err := a.lb.Snapshot(ctx, backend, server)
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if got[server].State != st {
		return fmt.Errorf("haproxy %s: %s/%s reads back as %s, not %s", a.lb, backend, server, got[server].State, st)
	}
	return nil
}

type standby struct {
	inRecovery bool
	timeline   int64
	lag        int64
}

func readStandby(ctx context.Context, conn *pgx.Conn) (standby, error) {
	var s standby
	// On a standby the checkpoint's timeline is the one being replayed;
	// lag is WAL received and not yet replayed (the primary's position is
	// out of reach when it is down).
	err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		(SELECT timeline_id FROM pg_control_checkpoint())::bigint,
		COALESCE(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::bigint`).Scan(&s.inRecovery, &s.timeline, &s.lag)
	return s, err
}

func (a *Action) connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("the DSN does not parse") // the parse error may quote the DSN
	}
	cfg.ConnectTimeout = time.Duration(a.c.ConnectTimeout)
	return pgx.ConnectConfig(ctx, cfg)
}

func (a *Action) ping(ctx context.Context, dsn string) error {
	conn, err := a.connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// scrub keeps a connection error's cause without the DSN parts pgx puts
// in front of it (host, user, database).
func scrub(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "): "); i >= 0 && strings.Contains(s[:i], "failed to connect") {
		s = s[i+3:]
	}
	return s
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("the file is empty")
	}
	return s, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// RelativeTo resolves the file paths with join (relative to the config's
// directory).
func (c *Config) RelativeTo(join func(*string)) {
	join(&c.PrimaryDSNFile)
	join(&c.ReplicaDSNFile)
	if c.Patroni != nil && c.Patroni.BasicAuth != nil {
		join(&c.Patroni.BasicAuth.PasswordFile)
	}
}
