package sqlstore

import (
	"embed"
	"io/fs"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// Dialect is what differs between SQLite and PostgreSQL. Queries are
// written once with ? placeholders and rebound for PostgreSQL.
type Dialect struct {
	Name string
	// Numbered placeholders ($1, $2, …) instead of ?.
	Numbered bool
	// ForUpdate locks rows read for writing ("" where the engine has a
	// single writer).
	ForUpdate string
	// SkipLocked claims rows no other transaction holds.
	SkipLocked string
	// LockGroup takes a transaction-scoped lock on one group lock slot
	// ("" when writers are already serialised).
	LockGroup string
	// MigrationSetup runs first in each migration's transaction.
	MigrationSetup string
	// MigrationLock serialises concurrent migrators (replicas starting
	// together); "" for none.
	MigrationLock string
	// ExplicitPrepare: the driver does not cache prepared statements.
	ExplicitPrepare bool
	// MaxParams bounds the bind parameters of one statement.
	MaxParams int
}

// SQLite is the dialect of modernc.org/sqlite: one writer connection
// serialises writes, so no row or advisory locks are needed.
var SQLite = Dialect{Name: "sqlite", ExplicitPrepare: true, MaxParams: 30000}

// Postgres is the dialect of PostgreSQL through pgx.
var Postgres = Dialect{
	Name:       "postgres",
	Numbered:   true,
	ForUpdate:  " FOR UPDATE",
	SkipLocked: " FOR UPDATE SKIP LOCKED",
	// Advisory locks are per database: the schema in the first key keeps
	// receivers in different schemas of one database (and tests) apart.
	// The two-key form never meets the one-key migration lock.
	LockGroup:     "SELECT pg_advisory_xact_lock(hashtext(current_schema()), ?::int)",
	MigrationLock: "SELECT pg_advisory_xact_lock(7470)",
	// Building an index on a large table may take longer than a webhook.
	MigrationSetup: "SET LOCAL statement_timeout = 0",
	MaxParams:      60000,
}

func (d Dialect) migrations() (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+d.Name)
}

// rebind turns ? placeholders into $n for PostgreSQL. Our queries never
// contain a literal question mark.
func (d Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// values returns "(?,?),(?,?)" for rows rows of cols columns.
func values(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

// placeholders returns "?,?,?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
