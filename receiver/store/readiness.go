package store

import (
	"context"
	"time"
)

// Readiness is what go-live readiness keeps in the receiver: manual
// sign-offs, stored reports and notification channel tests.
//
// Concurrency: safe for concurrent use, like every Store method. All three
// are append-only; an id is never reused, and the newest row wins.
type Readiness interface {
	// InsertSignoff stores s and sets s.ID.
	InsertSignoff(ctx context.Context, s *Signoff) error
	// LatestSignoffs returns the newest sign-off of every item, by item.
	LatestSignoffs(ctx context.Context) ([]Signoff, error)
	// InsertReadinessReport stores r and sets r.ID.
	InsertReadinessReport(ctx context.Context, r *ReadinessReport) error
	// LatestReadinessReport returns the newest report; ErrNotFound if
	// there is none.
	LatestReadinessReport(ctx context.Context) (ReadinessReport, error)
	// InsertChannelTest records one `golive notify test` of a channel.
	InsertChannelTest(ctx context.Context, t ChannelTest) error
	// ChannelTests returns, per channel ever tested, its newest test and
	// its newest successful one, by channel.
	ChannelTests(ctx context.Context) ([]ChannelTestSummary, error)
}

// Signoff is a person's sign-off of a manual readiness item.
type Signoff struct {
	ID        int64
	Item      string
	By        string
	Comment   string
	SignedAt  time.Time
	ExpiresAt time.Time
}

// ReadinessReport is one stored readiness run; Body is the report's JSON,
// which the store does not interpret.
type ReadinessReport struct {
	ID          int64
	GeneratedAt time.Time
	Ready       bool
	Body        []byte
}

// ChannelTest is one test notification through a channel.
type ChannelTest struct {
	Channel  string
	OK       bool
	Error    string // empty when OK; must not contain secrets
	TestedAt time.Time
}

// ChannelTestSummary is a channel's test history in brief.
type ChannelTestSummary struct {
	Channel     string
	LastAttempt time.Time
	LastError   string    // of the newest attempt; empty if it passed
	LastSuccess time.Time // zero: never
}
