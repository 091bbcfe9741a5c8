// Package pgcluster runs throwaway PostgreSQL servers for tests: a fresh
// cluster made with initdb, or a streaming standby made with pg_basebackup
// from any primary, each on a free loopback port, in a temporary directory
// removed when the test ends. The exporter's replication test and the
// failover remediation test use the same binaries a user runs.
//
// The server refuses to run as root, so under root the binaries run as the
// postgres user. They are found in GOLIVE_TEST_PG_BINDIR, else
// /usr/lib/postgresql/<major>/bin (Debian's layout); missing, the test is
// skipped, or fails under CI=true.
package pgcluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/golive-ops/golive/internal/testenv"
)

// DefaultMajor is the PostgreSQL major version Debian 12 ships.
const DefaultMajor = 15

// Bindir returns the directory of PostgreSQL major's server binaries,
// after checking that tools are there.
func Bindir(t testing.TB, major int, tools ...string) string {
	t.Helper()
	bindir := os.Getenv("GOLIVE_TEST_PG_BINDIR")
	if bindir == "" {
		bindir = fmt.Sprintf("/usr/lib/postgresql/%d/bin", major)
	}
	for _, tool := range append([]string{"postgres"}, tools...) {
		if _, err := os.Stat(filepath.Join(bindir, tool)); err != nil {
			testenv.Unavailable(t, "%s of PostgreSQL %d not in %s (install postgresql-%d or set GOLIVE_TEST_PG_BINDIR)", tool, major, bindir, major)
		}
	}
	return bindir
}

// RunAs returns the credential to run PostgreSQL's binaries with: the
// postgres user's when the tests run as root, none otherwise.
func RunAs(t testing.TB) (cred *syscall.Credential, uid, gid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, os.Geteuid(), os.Getegid()
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		testenv.Unavailable(t, "running as root and there is no postgres user to run PostgreSQL as: %v", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid
}

// FreePort returns a loopback port nobody listened on a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Cluster is one throwaway server.
type Cluster struct {
	// Name is the cluster_name (a standby reports it to its primary as
	// application_name).
	Name string
	Port int
	// DSN reaches the server over TCP as User, database Database.
	DSN  string
	Data string

	t        testing.TB
	dir      string
	bindir   string
	cred     *syscall.Credential
	settings []string
	cmd      *exec.Cmd
	done     chan struct{}
	log      string
}

// Options of a new cluster.
type Options struct {
	Name string
	// Settings are extra -c name=value settings.
	Settings []string
}

// New initialises a cluster with initdb (superuser postgres, trust for
// loopback, replication allowed from 127.0.0.1) and starts it. It keeps
// enough WAL (wal_keep_size 128MB) for a standby to follow and for
// pg_rewind; fsync is off (throwaway data).
func New(ctx context.Context, t testing.TB, o Options) *Cluster {
	t.Helper()
	c := newCluster(t, DefaultMajor, o, "initdb")
	initdb := exec.CommandContext(ctx, filepath.Join(c.bindir, "initdb"), "--pgdata="+c.Data, "--username=postgres",
		"--auth=trust", "--encoding=UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
	c.Start(ctx)
	return c
}

// Standby makes a streaming standby of the server behind primaryDSN with
// pg_basebackup --write-recovery-conf and starts it; it returns once the
// standby accepts connections in recovery. The primary's pg_hba.conf must
// allow replication from 127.0.0.1 (clusters from New do; .ci/run adds it
// to the shared test server). major is the primary's version.
func Standby(ctx context.Context, t testing.TB, primaryDSN string, major int, o Options) *Cluster {
	t.Helper()
	c := newCluster(t, major, o, "pg_basebackup")
	backup := exec.CommandContext(ctx, filepath.Join(c.bindir, "pg_basebackup"),
		"--dbname="+primaryDSN, "--pgdata="+c.Data, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast")
	backup.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if out, err := backup.CombinedOutput(); err != nil {
		testenv.Unavailable(t, "pg_basebackup failed (does the primary's pg_hba.conf allow replication from 127.0.0.1?): %v\n%s", err, out)
	}
	// Debian keeps postgresql.conf and pg_hba.conf in /etc, so a backup of
	// its clusters has neither; the settings that matter are on the
	// command line.
	_, uid, gid := RunAs(t)
	for name, content := range map[string]string{
		"postgresql.conf": "",
		"pg_hba.conf":     "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n",
		"pg_ident.conf":   "",
	} {
		path := filepath.Join(c.Data, name)
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := pgx.ParseConfig(primaryDSN)
	if err != nil {
		t.Fatal(err)
	}
	c.DSN = fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", cfg.User, c.Port, cfg.Database)
	c.settings = append(c.settings, "hot_standby=on")
	c.Start(ctx)
	if !c.InRecovery(ctx) {
		t.Fatal("the standby is not in recovery")
	}
	return c
}

func newCluster(t testing.TB, major int, o Options, tool string) *Cluster {
	t.Helper()
	bindir := Bindir(t, major, tool)
	cred, uid, gid := RunAs(t)
	dir, err := os.MkdirTemp("", "golive-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	name := o.Name
	if name == "" {
		name = "golive_test"
	}
	c := &Cluster{Name: name, Port: FreePort(t), Data: filepath.Join(dir, "data"), t: t, dir: dir, bindir: bindir, cred: cred,
		log: filepath.Join(dir, "server.log"),
		settings: append([]string{"listen_addresses=127.0.0.1", "unix_socket_directories=" + dir, "cluster_name=" + name,
			"logging_collector=off", "log_destination=stderr", "fsync=off", "wal_keep_size=128MB"}, o.Settings...)}
	// Registered first, so it runs last: after the server's own cleanup.
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(c.log); err == nil {
				t.Logf("%s server log:\n%s", c.Name, b)
			}
		}
		os.RemoveAll(dir)
	})
	return c
}

// Start runs the server (again) and waits until it accepts connections.
func (c *Cluster) Start(ctx context.Context) {
	c.t.Helper()
	if c.cmd != nil {
		c.t.Fatalf("%s: already running", c.Name)
	}
	args := []string{"-D", c.Data, "-p", strconv.Itoa(c.Port)}
	for _, s := range c.settings {
		args = append(args, "-c", s)
	}
	logFile, err := os.OpenFile(c.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	// Not ctx: the server outlives the call; Stop and the cleanup end it.
	cmd := exec.CommandContext(context.Background(), filepath.Join(c.bindir, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		c.t.Fatalf("start %s: %v", c.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	c.cmd, c.done = cmd, done
	c.t.Cleanup(func() { c.Stop(syscall.SIGINT) })

	for {
		conn, err := pgx.Connect(ctx, c.DSN)
		if err == nil {
			conn.Close(context.Background())
			return
		}
		select {
		case <-ctx.Done():
		case <-done:
		case <-time.After(50 * time.Millisecond):
			continue
		}
		log, _ := os.ReadFile(c.log)
		c.t.Fatalf("%s did not accept connections: %v\n%s", c.Name, err, log)
	}
}

// Stop signals the postmaster and waits for it to exit: SIGINT is a fast
// shutdown, SIGQUIT an immediate one (a crash: no shutdown checkpoint).
// It does nothing when the server is not running.
func (c *Cluster) Stop(sig syscall.Signal) {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.cmd, c.done = nil, nil
}

// InRecovery reports pg_is_in_recovery().
func (c *Cluster) InRecovery(ctx context.Context) bool {
	c.t.Helper()
	var in bool
	c.QueryRow(ctx, "SELECT pg_is_in_recovery()", &in)
	return in
}

// QueryRow runs sql and scans its one row into dst, failing the test on
// an error.
func (c *Cluster) QueryRow(ctx context.Context, sql string, dst ...any) {
	c.t.Helper()
	if err := c.Query(ctx, sql, dst...); err != nil {
		c.t.Fatalf("%s: %s: %v", c.Name, sql, err)
	}
}

// Query runs sql and scans its one row into dst (none for a statement).
func (c *Cluster) Query(ctx context.Context, sql string, dst ...any) error {
	conn, err := pgx.Connect(ctx, c.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if len(dst) == 0 {
		_, err = conn.Exec(ctx, sql)
		return err
	}
	return conn.QueryRow(ctx, sql).Scan(dst...)
}
