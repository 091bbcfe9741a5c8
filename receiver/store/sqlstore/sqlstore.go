// Package sqlstore implements store.Store on database/sql, once, for both
// SQLite (modernc.org/sqlite) and PostgreSQL (pgx v5 through its stdlib
// adapter). Dialect holds what differs: placeholders, row and advisory
// locks, and the migration files.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// Options configure a Store.
type Options struct {
	// Writer runs every read-write transaction. For SQLite it must allow a
	// single open connection, which serialises writers in the process.
	Writer *sql.DB
	// Reader serves reads; nil means Writer.
	Reader  *sql.DB
	Dialect Dialect
	Logger  *slog.Logger
	// Now is the clock for outbox leases; nil means time.Now.
	Now func() time.Time
	// Timeout bounds every call (a whole Update, one read), so a hung
	// database answers ErrUnavailable instead of holding the caller; 0 means
	// DefaultTimeout. The dialect's own timeouts (statement_timeout,
	// busy_timeout) are set to the same value by the openers.
	Timeout time.Duration
	// CheckSpace, when set, is part of CheckWritable: SQLite's opener checks
	// the free space of the database's filesystem.
	CheckSpace func() error
}

// DefaultTimeout is well under the 10s Alertmanager's notify timeout can be
// set to, so a hung store answers 503 while Alertmanager still
// waits and its retry is not blocked behind a hung request.
const DefaultTimeout = 5 * time.Second

// Store is a store.Store on a SQL database.
type Store struct {
	w, r   *sql.DB
	d      Dialect
	log    *slog.Logger
	now    func() time.Time
	rstmts *stmtCache
	// timeout bounds each call; checkSpace is Options.CheckSpace.
	timeout    time.Duration
	checkSpace func() error
}

var _ store.Store = (*Store)(nil)

// New migrates the database to the newest schema and returns the store.
func New(ctx context.Context, o Options) (*Store, error) {
	if o.Reader == nil {
		o.Reader = o.Writer
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	s := &Store{
		w: o.Writer, r: o.Reader, d: o.Dialect, log: o.Logger, now: o.Now,
		rstmts: newStmtCache(o.Reader), timeout: o.Timeout, checkSpace: o.CheckSpace,
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes prepared statements and the databases.
func (s *Store) Close() error {
	errs := []error{s.rstmts.close()}
	if s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// bound limits one call to the store's timeout, or a longer one the caller
// asked for with store.WithTimeout (and never past ctx's deadline).
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	d := s.timeout
	if v, ok := store.TimeoutFrom(ctx); ok && v > d {
		d = v
	}
	return context.WithTimeout(ctx, d)
}

// Ping checks both pools answer a query.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	for _, db := range []*sql.DB{s.w, s.r} {
		var one int
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			return unavailable("ping", err)
		}
	}
	return nil
}

// migrate applies the dialect's numbered migrations that are not yet
// recorded, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	files, err := s.d.migrations()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number: %w", name, err)
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if err := s.apply(ctx, version, name, string(body)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, version int, name, body string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return unavailable("migrate", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if s.d.MigrationSetup != "" {
		if _, err := tx.ExecContext(ctx, s.d.MigrationSetup); err != nil {
			return unavailable("migration setup", err)
		}
	}
	if s.d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, s.d.MigrationLock); err != nil {
			return unavailable("migration lock", err)
		}
	}
	// Under the lock: concurrent CREATE TABLE IF NOT EXISTS races on PostgreSQL.
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return unavailable("create schema_migrations", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.d.rebind("SELECT count(*) FROM schema_migrations WHERE version = ?"), version).Scan(&n); err != nil {
		return unavailable("migrate", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		version, name, s.now().UnixNano()); err != nil {
		return unavailable("migrate", err)
	}
	if err := tx.Commit(); err != nil {
		return unavailable("migrate commit", err)
	}
	s.log.Info("applied storage migration", "dialect", s.d.Name, "migration", name)
	return nil
}

// Update runs fn in one transaction on the writer pool.
func (s *Store) Update(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return unavailable("begin", err)
	}
	if err := fn(ctx, newTxn(s, tx)); err != nil {
		_ = tx.Rollback()
		if ctx.Err() != nil && !errors.Is(err, store.ErrUnavailable) {
			return unavailable("update", err)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return unavailable("commit", err)
	}
	return nil
}

// Timeout is the bound of each call (Options.Timeout).
func (s *Store) Timeout() time.Duration { return s.timeout }

// unavailable marks a database failure so the HTTP layer answers 503.
func unavailable(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if errors.Is(err, store.ErrUnavailable) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
}

// stmtCache keeps prepared statements per query text. Statements with a
// variable number of rows are only cached for the common sizes, so the
// cache stays small.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

const maxCachedStmts = 256

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// get returns the prepared statement for q, or nil when the cache is full
// (the caller then runs q unprepared).
func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	if len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.m[q] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// prepared runs queries as prepared statements where the driver does not
// cache them itself (modernc sqlite; pgx already caches per connection).
// In a transaction, statements are prepared on the transaction (the SQLite
// writer has one connection, so it cannot prepare elsewhere) and reused for
// every chunk of a large webhook; outside, they come from a cache on the
// database.
type prepared struct {
	d     Dialect
	db    querier
	cache *stmtCache // outside a transaction
	tx    *sql.Tx    // inside one
	txs   map[string]*sql.Stmt
}

func (p *prepared) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if !p.d.ExplicitPrepare {
		return nil, nil
	}
	if p.tx == nil {
		return p.cache.get(ctx, q)
	}
	if st, ok := p.txs[q]; ok {
		return st, nil
	}
	st, err := p.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	p.txs[q] = st
	return st, nil
}

func (p *prepared) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = p.d.rebind(q)
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.db.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (p *prepared) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = p.d.rebind(q)
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.db.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (s *Store) read() *prepared { return &prepared{d: s.d, db: s.r, cache: s.rstmts} }
