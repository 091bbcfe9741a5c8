package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/golive-ops/golive/receiver/store"
)

func (s *Store) InsertSignoff(ctx context.Context, so *store.Signoff) error {
	err := s.w.QueryRowContext(ctx, s.d.rebind(`INSERT INTO readiness_signoffs (item, signed_by, comment, signed_at, expires_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), so.Item, so.By, so.Comment, ns(so.SignedAt), ns(so.ExpiresAt)).Scan(&so.ID)
	if err != nil {
		return unavailable("insert sign-off", err)
	}
	return nil
}

func (s *Store) LatestSignoffs(ctx context.Context) ([]store.Signoff, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, item, signed_by, comment, signed_at, expires_at FROM readiness_signoffs
		WHERE id IN (SELECT max(id) FROM readiness_signoffs GROUP BY item) ORDER BY item`)
	if err != nil {
		return nil, unavailable("sign-offs", err)
	}
	defer rows.Close()
	var out []store.Signoff
	for rows.Next() {
		var (
			so             store.Signoff
			signed, expire int64
		)
		if err := rows.Scan(&so.ID, &so.Item, &so.By, &so.Comment, &signed, &expire); err != nil {
			return nil, unavailable("sign-offs", err)
		}
		so.SignedAt, so.ExpiresAt = fromNS(signed), fromNS(expire)
		out = append(out, so)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("sign-offs", err)
	}
	return out, nil
}

func (s *Store) InsertReadinessReport(ctx context.Context, r *store.ReadinessReport) error {
	err := s.w.QueryRowContext(ctx, s.d.rebind(`INSERT INTO readiness_reports (generated_at, ready, body) VALUES (?, ?, ?) RETURNING id`),
		ns(r.GeneratedAt), boolInt(r.Ready), r.Body).Scan(&r.ID)
	if err != nil {
		return unavailable("insert readiness report", err)
	}
	return nil
}

func (s *Store) LatestReadinessReport(ctx context.Context) (store.ReadinessReport, error) {
	var (
		r     store.ReadinessReport
		at    int64
		ready int
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, generated_at, ready, body FROM readiness_reports ORDER BY id DESC LIMIT 1`).
		Scan(&r.ID, &at, &ready, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("latest readiness report: %w", store.ErrNotFound)
	}
	if err != nil {
		return r, unavailable("latest readiness report", err)
	}
	r.GeneratedAt, r.Ready = fromNS(at), ready == 1
	return r, nil
}

func (s *Store) InsertChannelTest(ctx context.Context, t store.ChannelTest) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO channel_tests (channel, ok, error, tested_at) VALUES (?, ?, ?, ?)`),
		t.Channel, boolInt(t.OK), t.Error, ns(t.TestedAt))
	if err != nil {
		return unavailable("insert channel test", err)
	}
	return nil
}

func (s *Store) ChannelTests(ctx context.Context) ([]store.ChannelTestSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT c.channel, c.tested_at, c.ok, c.error,
		  (SELECT max(tested_at) FROM channel_tests o WHERE o.channel = c.channel AND o.ok = 1)
		FROM channel_tests c
		WHERE c.id = (SELECT max(id) FROM channel_tests l WHERE l.channel = c.channel)
		ORDER BY c.channel`)
	if err != nil {
		return nil, unavailable("channel tests", err)
	}
	defer rows.Close()
	var out []store.ChannelTestSummary
	for rows.Next() {
		var (
			t       store.ChannelTestSummary
			at      int64
			ok      int
			errText string
			success sql.NullInt64
		)
		if err := rows.Scan(&t.Channel, &at, &ok, &errText, &success); err != nil {
			return nil, unavailable("channel tests", err)
		}
		t.LastAttempt = fromNS(at)
		if ok == 0 {
			t.LastError = errText
		}
		if success.Valid {
			t.LastSuccess = fromNS(success.Int64)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("channel tests", err)
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
