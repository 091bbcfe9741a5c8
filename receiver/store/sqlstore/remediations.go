package sqlstore

import (
	"context"
	"errors"
	"strings"

	"github.com/golive-ops/golive/receiver/store"
)

const remediationCols = `id, key, incident_id, cycle, action, kind, target, trigger_kind, state, dry_run, idempotent,
	request, result, reason, attempts, created_at, updated_at, expires_at, started_at, finished_at, decided_by, decision_note`

func scanRemediation(sc scanner) (store.Remediation, error) {
	var (
		r                                            store.Remediation
		dry, idem                                    int
		request, result                              string
		created, updated, expires, started, finished int64
	)
	err := sc.Scan(&r.ID, &r.Key, &r.IncidentID, &r.Cycle, &r.Action, &r.Kind, &r.Target, &r.Trigger, &r.State, &dry, &idem,
		&request, &result, &r.Reason, &r.Attempts, &created, &updated, &expires, &started, &finished, &r.DecidedBy, &r.DecisionNote)
	if err != nil {
		return r, err
	}
	r.DryRun, r.Idempotent = dry != 0, idem != 0
	r.Request = []byte(request)
	if result != "" {
		r.Result = []byte(result)
	}
	r.CreatedAt, r.UpdatedAt, r.ExpiresAt = fromNS(created), fromNS(updated), fromNS(expires)
	r.StartedAt, r.FinishedAt = fromNS(started), fromNS(finished)
	return r, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Store) Remediation(ctx context.Context, id int64) (store.Remediation, error) {
	return remediationByID(ctx, s.read(), id, "")
}

func remediationByID(ctx context.Context, p *prepared, id int64, suffix string) (store.Remediation, error) {
	rows, err := p.query(ctx, `SELECT `+remediationCols+` FROM remediations WHERE id = ?`+suffix, id)
	if err != nil {
		return store.Remediation{}, unavailable("remediation", err)
	}
	rs, err := collect(rows, "remediation", scanRemediation)
	if err != nil {
		return store.Remediation{}, err
	}
	if len(rs) == 0 {
		return store.Remediation{}, store.ErrNotFound
	}
	return rs[0], nil
}

func (s *Store) ListRemediations(ctx context.Context, f store.RemediationFilter) ([]store.Remediation, error) {
	var (
		where []string
		args  []any
	)
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if f.IncidentID != 0 {
		where, args = append(where, "incident_id = ?"), append(args, f.IncidentID)
	}
	if !f.ExpiredBefore.IsZero() {
		where = append(where, "state = ? AND expires_at <> 0 AND expires_at <= ?")
		args = append(args, string(store.RemediationAwaitingApproval), ns(f.ExpiredBefore))
	}
	q := `SELECT ` + remediationCols + ` FROM remediations`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	rows, err := s.read().query(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, unavailable("list remediations", err)
	}
	return collect(rows, "list remediations", scanRemediation)
}

func (s *Store) Control(ctx context.Context) (store.RemediationControl, error) {
	return control(ctx, s.read(), "")
}

func control(ctx context.Context, p *prepared, suffix string) (store.RemediationControl, error) {
	var (
		c      store.RemediationControl
		paused int
		at     int64
	)
	rows, err := p.query(ctx, `SELECT paused, actor, note, at FROM remediation_control WHERE id = 1`+suffix)
	if err != nil {
		return c, unavailable("remediation control", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return c, unavailable("remediation control", errors.Join(errors.New("the control row is missing"), rows.Err()))
	}
	if err := rows.Scan(&paused, &c.Actor, &c.Note, &at); err != nil {
		return c, unavailable("remediation control", err)
	}
	c.Paused, c.At = paused != 0, fromNS(at)
	return c, nil
}

func (s *Store) AwaitingApproval(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT count(*) FROM remediations WHERE state = ?`),
		string(store.RemediationAwaitingApproval)).Scan(&n)
	if err != nil {
		return 0, unavailable("awaiting approval", err)
	}
	return n, nil
}

func (t *txn) InsertRemediation(ctx context.Context, r *store.Remediation) (bool, error) {
	if r.Key == "" {
		return false, errors.New("insert remediation: a key is required")
	}
	rows, err := t.p().query(ctx, `INSERT INTO remediations (key, incident_id, cycle, action, kind, target, trigger_kind, state,
		dry_run, idempotent, request, result, reason, attempts, created_at, updated_at, expires_at, started_at, finished_at,
		decided_by, decision_note) VALUES (`+placeholders(21)+`) ON CONFLICT (key) DO NOTHING RETURNING id`,
		r.Key, r.IncidentID, r.Cycle, r.Action, r.Kind, r.Target, r.Trigger, string(r.State), b2i(r.DryRun), b2i(r.Idempotent),
		string(r.Request), string(r.Result), r.Reason, r.Attempts, ns(r.CreatedAt), ns(r.UpdatedAt), ns(r.ExpiresAt),
		ns(r.StartedAt), ns(r.FinishedAt), r.DecidedBy, r.DecisionNote)
	if err != nil {
		return false, unavailable("insert remediation", err)
	}
	inserted := rows.Next()
	var id int64
	if inserted {
		err = rows.Scan(&id)
	}
	if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return false, unavailable("insert remediation", err)
	}
	if inserted {
		r.ID = id
	}
	return inserted, nil
}

func (t *txn) RemediationForUpdate(ctx context.Context, id int64) (store.Remediation, error) {
	return remediationByID(ctx, t.p(), id, t.s.d.ForUpdate)
}

func (t *txn) UpdateRemediation(ctx context.Context, r store.Remediation) error {
	res, err := t.p().exec(ctx, `UPDATE remediations SET state = ?, request = ?, result = ?, reason = ?, attempts = ?,
		updated_at = ?, expires_at = ?, started_at = ?, finished_at = ?, decided_by = ?, decision_note = ?, trigger_kind = ?
		WHERE id = ?`, string(r.State), string(r.Request), string(r.Result), r.Reason, r.Attempts, ns(r.UpdatedAt),
		ns(r.ExpiresAt), ns(r.StartedAt), ns(r.FinishedAt), r.DecidedBy, r.DecisionNote, r.Trigger, r.ID)
	if err != nil {
		return unavailable("update remediation", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(store.ErrNotFound, err)
	}
	return nil
}

func (t *txn) CountRemediations(ctx context.Context, c store.RemediationCount) (int, error) {
	where := []string{"created_at >= ?", "state NOT IN (?, ?, ?, ?)"}
	args := []any{ns(c.Since), string(store.RemediationSkipped), string(store.RemediationRefused),
		string(store.RemediationRejected), string(store.RemediationExpired)}
	if c.Action != "" {
		where, args = append(where, "action = ?"), append(args, c.Action)
	}
	if c.IncidentID != 0 {
		where, args = append(where, "incident_id = ?", "cycle = ?"), append(args, c.IncidentID, c.Cycle)
	}
	if c.Target != "" {
		where, args = append(where, "target = ?"), append(args, c.Target)
	}
	if c.Executed {
		where = append(where, "dry_run = 0", "state NOT IN (?, ?)")
		args = append(args, string(store.RemediationDryRun), string(store.RemediationAwaitingApproval))
	}
	var n int
	if err := t.tx.QueryRowContext(ctx, t.s.d.rebind(`SELECT count(*) FROM remediations WHERE `+strings.Join(where, " AND ")),
		args...).Scan(&n); err != nil {
		return 0, unavailable("count remediations", err)
	}
	return n, nil
}

func (t *txn) LockControl(ctx context.Context) (store.RemediationControl, error) {
	return control(ctx, t.p(), t.s.d.ForUpdate)
}

func (t *txn) SetControl(ctx context.Context, c store.RemediationControl) error {
	_, err := t.p().exec(ctx, `UPDATE remediation_control SET paused = ?, actor = ?, note = ?, at = ? WHERE id = 1`,
		b2i(c.Paused), c.Actor, c.Note, ns(c.At))
	if err != nil {
		return unavailable("set remediation control", err)
	}
	return nil
}
