// Package haproxy is a client of HAProxy's runtime API (the stats socket at
// `level admin`), the one load balancer Debian ships whose weights and server
// states change without a reload. The rollout's traffic driver and the
// remediation actions (activate backups, drain, fence) share it.
//
// The protocol is a line protocol: the client writes one command, HAProxy
// answers and closes the connection (non-interactive mode). A `set` that
// succeeds answers nothing; a failure answers free text on the same
// connection and no status code, so every non-empty answer to a change is
// an error here. Changes are read back with `show servers state` by the
// callers that need proof (Apply does it itself).
//
// Runtime changes are lost when HAProxy reloads unless it is configured with
// `server-state-file` and `load-server-state-from-file global`; see
// README, "Rollouts".
package haproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one command when the caller's context has no
// earlier deadline: a hung or wedged HAProxy must not hold a rollout step.
const DefaultTimeout = 5 * time.Second

// maxAnswer bounds what is read for one command (`show servers state` of a
// large configuration is a few hundred bytes per server).
const maxAnswer = 4 << 20

// namePattern is what HAProxy accepts in backend and server names (its
// "invalid character" check: letters, digits, '-', '_', '.', ':'). Anything
// else is refused before it reaches the socket, so a name can never smuggle
// a second command (`;`, a newline) into the line.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// ErrCommand is wrapped by every error HAProxy itself answered (as opposed
// to a failure to reach it), so callers can tell "HAProxy said no" from
// "HAProxy is down".
var ErrCommand = errors.New("haproxy refused the command")

// Client sends commands to one runtime API socket. The zero value is not
// usable; build one with New. A Client is safe for concurrent use: every
// command is its own connection.
type Client struct {
	network string
	address string
	timeout time.Duration
	dialer  net.Dialer
}

// New returns a client for address: "unix:/run/haproxy/admin.sock" or an
// absolute path for a unix socket, "tcp:127.0.0.1:9999", "ipv4@127.0.0.1:9999"
// (HAProxy's own spelling) or "host:port" for TCP. timeout bounds each
// command (0: DefaultTimeout).
func New(address string, timeout time.Duration) (*Client, error) {
	network, addr, err := ParseAddress(address)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{network: network, address: addr, timeout: timeout}, nil
}

// ParseAddress splits a runtime API address into a network and an address
// for net.Dial; it is what New and config validation use.
func ParseAddress(address string) (network, addr string, err error) {
	switch {
	case address == "":
		return "", "", errors.New("address is empty (want unix:/path/to/admin.sock or tcp:host:port)")
	case strings.HasPrefix(address, "unix:"):
		network, addr = "unix", strings.TrimPrefix(address, "unix:")
	case strings.HasPrefix(address, "unix@"):
		network, addr = "unix", strings.TrimPrefix(address, "unix@")
	case strings.HasPrefix(address, "/"):
		network, addr = "unix", address
	case strings.HasPrefix(address, "tcp:"):
		network, addr = "tcp", strings.TrimPrefix(address, "tcp:")
	case strings.HasPrefix(address, "ipv4@"), strings.HasPrefix(address, "ipv6@"):
		network, addr = "tcp", address[len("ipv4@"):]
	default:
		network, addr = "tcp", address
	}
	if network == "unix" {
		if addr == "" {
			return "", "", fmt.Errorf("address %q: empty socket path", address)
		}
		return network, addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("address %q: %w (want unix:/path/to/admin.sock or tcp:host:port)", address, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil || host == "" {
		return "", "", fmt.Errorf("address %q: want host:port with a numeric port", address)
	}
	return network, addr, nil
}

// String names the socket (for logs and errors; it carries no secret).
func (c *Client) String() string {
	if c.network == "unix" {
		return "unix:" + c.address
	}
	return "tcp:" + c.address
}

// ValidName reports whether name is a backend or server name this client
// will send. Config validation uses it to reject a name early.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// Command sends one command and returns HAProxy's answer, trimmed. It is
// the raw access the typed methods are built on; cmd must be one command
// without a newline.
func (c *Client) Command(ctx context.Context, cmd string) (string, error) {
	if strings.ContainsAny(cmd, "\r\n") {
		return "", fmt.Errorf("haproxy %s: command contains a line break", c)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := c.dialer.DialContext(ctx, c.network, c.address)
	if err != nil {
		return "", fmt.Errorf("haproxy %s: %w", c, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// A cancelled context (shutdown) must interrupt a read that waits on a
	// wedged HAProxy, not only the deadline.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", fmt.Errorf("haproxy %s: send %q: %w", c, verb(cmd), err)
	}
	answer, err := io.ReadAll(io.LimitReader(conn, maxAnswer+1))
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return "", fmt.Errorf("haproxy %s: read answer to %q: %w", c, verb(cmd), err)
	}
	if len(answer) > maxAnswer {
		return "", fmt.Errorf("haproxy %s: answer to %q exceeds %d bytes", c, verb(cmd), maxAnswer)
	}
	return strings.TrimSpace(string(answer)), nil
}

// verb is the first words of a command, for errors (never a full line, which
// for some commands could carry a value an operator considers sensitive).
func verb(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) > 3 {
		f = f[:3]
	}
	return strings.Join(f, " ")
}

// set sends a command whose success is an empty answer.
func (c *Client) set(ctx context.Context, cmd string) error {
	answer, err := c.Command(ctx, cmd)
	if err != nil {
		return err
	}
	if answer != "" {
		return fmt.Errorf("haproxy %s: %q: %w: %s", c, cmd, ErrCommand, firstLine(answer))
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func checkNames(backend, server string) error {
	if !ValidName(backend) {
		return fmt.Errorf("backend %q: not a valid HAProxy name (letters, digits, '-', '_', '.', ':')", backend)
	}
	if server != "" && !ValidName(server) {
		return fmt.Errorf("server %q: not a valid HAProxy name (letters, digits, '-', '_', '.', ':')", server)
	}
	return nil
}

// MaxWeight is the largest absolute weight HAProxy accepts.
const MaxWeight = 256

// SetWeight sets a server's absolute weight (0..256).
func (c *Client) SetWeight(ctx context.Context, backend, server string, weight int) error {
	if err := checkNames(backend, server); err != nil {
		return err
	}
	if weight < 0 || weight > MaxWeight {
		return fmt.Errorf("weight %d for %s/%s: must be between 0 and %d", weight, backend, server, MaxWeight)
	}
	return c.set(ctx, fmt.Sprintf("set server %s/%s weight %d", backend, server, weight))
}

// State is a server's administrative state as the runtime API sets it.
type State string

// The states `set server <be>/<srv> state` accepts.
const (
	// Ready: takes traffic (also takes a backup server out of maintenance).
	Ready State = "ready"
	// Drain: no new traffic from load balancing; still health-checked.
	Drain State = "drain"
	// Maint: no traffic and no checks (used to fence a server).
	Maint State = "maint"
)

// ParseState accepts the three settable states.
func ParseState(s string) (State, error) {
	switch State(s) {
	case Ready, Drain, Maint:
		return State(s), nil
	}
	return "", fmt.Errorf("state %q is not one of ready, drain, maint", s)
}

// SetState sets a server's administrative state.
func (c *Client) SetState(ctx context.Context, backend, server string, state State) error {
	if err := checkNames(backend, server); err != nil {
		return err
	}
	if _, err := ParseState(string(state)); err != nil {
		return err
	}
	return c.set(ctx, fmt.Sprintf("set server %s/%s state %s", backend, server, state))
}

// Server is one line of `show servers state`.
type Server struct {
	Backend string
	Name    string
	Address string
	Port    int
	// OpState is srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping.
	OpState int
	// AdminState is srv_admin_state, a bit mask (AdminForcedMaint, …).
	AdminState int
	// Weight is the current user weight (srv_uweight); InitialWeight the
	// weight from the configuration (srv_iweight).
	Weight        int
	InitialWeight int
	// CheckStatus is srv_check_status (HAProxy's HCHK_STATUS_* code).
	CheckStatus int
}

// Administrative state bits of srv_admin_state (HAProxy's SRV_ADMF_*).
const (
	AdminForcedMaint    = 0x01
	AdminInheritedMaint = 0x02
	AdminConfigMaint    = 0x04
	AdminForcedDrain    = 0x08
	AdminInheritedDrain = 0x10
	AdminResolverMaint  = 0x20
	AdminHostnameMaint  = 0x40
)

// InMaint reports whether the server is in maintenance for any reason.
// AdminConfigMaint alone is not one: `disabled` in the configuration sets
// it together with AdminForcedMaint, and `set server … state ready` clears
// only the latter, leaving 0x04 as a record of the configuration while the
// server takes traffic (measured on 2.6.12: admin state 4, op state 2).
func (s Server) InMaint() bool {
	return s.AdminState&(AdminForcedMaint|AdminInheritedMaint|AdminResolverMaint|AdminHostnameMaint) != 0
}

// Draining reports whether the server is drained (and not in maintenance).
func (s Server) Draining() bool {
	return !s.InMaint() && s.AdminState&(AdminForcedDrain|AdminInheritedDrain) != 0
}

// State is the administrative state in the runtime API's terms.
func (s Server) State() State {
	switch {
	case s.InMaint():
		return Maint
	case s.Draining():
		return Drain
	default:
		return Ready
	}
}

// ServersState reads `show servers state <backend>`.
func (c *Client) ServersState(ctx context.Context, backend string) ([]Server, error) {
	if err := checkNames(backend, ""); err != nil {
		return nil, err
	}
	answer, err := c.Command(ctx, "show servers state "+backend)
	if err != nil {
		return nil, err
	}
	servers, err := ParseServersState(answer)
	if err != nil {
		return nil, fmt.Errorf("haproxy %s: show servers state %s: %w", c, backend, err)
	}
	return servers, nil
}

// ParseServersState parses the versioned output of `show servers state`
// (format 1: a version line, a `#` header naming the fields, one line per
// server). Fields are found by their header name, so columns HAProxy adds in
// later versions do not move them.
func ParseServersState(answer string) ([]Server, error) {
	sc := bufio.NewScanner(strings.NewReader(answer))
	sc.Buffer(make([]byte, 0, 64<<10), maxAnswer)
	if !sc.Scan() {
		return nil, errors.New("empty answer")
	}
	version := strings.TrimSpace(sc.Text())
	if version != "1" {
		// An error message (e.g. "Can't find backend.") instead of the table.
		if _, err := strconv.Atoi(version); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrCommand, version)
		}
		return nil, fmt.Errorf("unsupported servers state format %q (want 1)", version)
	}
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "#") {
		return nil, errors.New("missing the field header line")
	}
	header := strings.Fields(strings.TrimPrefix(sc.Text(), "#"))
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[h] = i
	}
	for _, need := range []string{"be_name", "srv_name", "srv_addr", "srv_op_state", "srv_admin_state", "srv_uweight", "srv_iweight"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("field header lacks %s", need)
		}
	}
	var out []Server
	line := 2
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Fields(text)
		if len(f) < len(header) {
			return nil, fmt.Errorf("line %d: %d fields, the header names %d", line, len(f), len(header))
		}
		s := Server{Backend: f[col["be_name"]], Name: f[col["srv_name"]], Address: f[col["srv_addr"]]}
		ints := []struct {
			name string
			dst  *int
		}{
			{"srv_op_state", &s.OpState}, {"srv_admin_state", &s.AdminState},
			{"srv_uweight", &s.Weight}, {"srv_iweight", &s.InitialWeight},
		}
		if _, ok := col["srv_port"]; ok {
			ints = append(ints, struct {
				name string
				dst  *int
			}{"srv_port", &s.Port})
		}
		if _, ok := col["srv_check_status"]; ok {
			ints = append(ints, struct {
				name string
				dst  *int
			}{"srv_check_status", &s.CheckStatus})
		}
		for _, v := range ints {
			n, err := strconv.Atoi(f[col[v.name]])
			if err != nil {
				return nil, fmt.Errorf("line %d: %s %q is not a number", line, v.name, f[col[v.name]])
			}
			*v.dst = n
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Split is the weights and states of a backend's servers: what a rollout
// stage sets and what a rollback re-applies.
type Split map[string]ServerSetting

// ServerSetting is one server's part of a Split. A zero State leaves the
// state alone.
type ServerSetting struct {
	Weight int   `json:"weight"`
	State  State `json:"state,omitempty"`
}

// Snapshot reads the current split of the named servers of backend (all of
// its servers when names is empty). A named server HAProxy does not know is
// an error, so a plan with a typo fails before anything changes.
func (c *Client) Snapshot(ctx context.Context, backend string, names ...string) (Split, error) {
	servers, err := c.ServersState(ctx, backend)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]Server, len(servers))
	for _, s := range servers {
		byName[s.Name] = s
	}
	out := make(Split)
	if len(names) == 0 {
		for _, s := range servers {
			out[s.Name] = ServerSetting{Weight: s.Weight, State: s.State()}
		}
		return out, nil
	}
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("haproxy %s: backend %s has no server %q (it has %s)", c, backend, n, serverNames(servers))
		}
		out[n] = ServerSetting{Weight: s.Weight, State: s.State()}
	}
	return out, nil
}

func serverNames(servers []Server) string {
	if len(servers) == 0 {
		return "none"
	}
	names := make([]string, len(servers))
	for i, s := range servers {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// Apply sets every server of split (weights first, then states, in name
// order so two runs send the same lines), then reads the backend back and
// fails unless every server shows what was set. It returns the split that
// was in force before, for a rollback to re-apply. A failure midway leaves
// the servers already changed as they are: the caller decides whether to
// re-apply the returned previous split (a rollout does).
func (c *Client) Apply(ctx context.Context, backend string, split Split) (previous Split, err error) {
	names := split.Names()
	for _, n := range names {
		if err := checkNames(backend, n); err != nil {
			return nil, err
		}
		st := split[n]
		if st.Weight < 0 || st.Weight > MaxWeight {
			return nil, fmt.Errorf("server %s/%s: weight %d must be between 0 and %d", backend, n, st.Weight, MaxWeight)
		}
		if st.State != "" {
			if _, err := ParseState(string(st.State)); err != nil {
				return nil, fmt.Errorf("server %s/%s: %w", backend, n, err)
			}
		}
	}
	previous, err = c.Snapshot(ctx, backend, names...)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if err := c.SetWeight(ctx, backend, n, split[n].Weight); err != nil {
			return previous, err
		}
	}
	for _, n := range names {
		if st := split[n].State; st != "" {
			if err := c.SetState(ctx, backend, n, st); err != nil {
				return previous, err
			}
		}
	}
	now, err := c.Snapshot(ctx, backend, names...)
	if err != nil {
		return previous, fmt.Errorf("read back after change: %w", err)
	}
	for _, n := range names {
		want, got := split[n], now[n]
		if got.Weight != want.Weight || (want.State != "" && got.State != want.State) {
			return previous, fmt.Errorf("haproxy %s: read back %s/%s as weight %d state %s, set weight %d state %s",
				c, backend, n, got.Weight, got.State, want.Weight, orAny(want.State))
		}
	}
	return previous, nil
}

func orAny(s State) State {
	if s == "" {
		return "(unchanged)"
	}
	return s
}

// Names are the split's server names, sorted.
func (s Split) Names() []string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	// Sorted: deterministic command order (tests, dry runs, audit lines).
	slices.Sort(names)
	return names
}
