package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// txn is one read-write transaction.
type txn struct {
	tx *sql.Tx
	s  *Store
	pr *prepared
}

func newTxn(s *Store, tx *sql.Tx) *txn {
	return &txn{tx: tx, s: s, pr: &prepared{d: s.d, db: tx, tx: tx, txs: map[string]*sql.Stmt{}}}
}

var _ store.Tx = (*txn)(nil)

func (t *txn) p() *prepared { return t.pr }

// chunk is how many rows of cols columns fit one statement (≤ 500 rows,
// which keeps statement texts few and cacheable).
func (t *txn) chunk(cols int) int {
	return min(500, t.s.d.MaxParams/cols)
}

func (t *txn) InsertWebhook(ctx context.Context, w *store.Webhook) (bool, error) {
	rows, err := t.p().query(ctx, `INSERT INTO webhooks (hash, received_at, receiver, group_key, status, reason, alerts, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING RETURNING id`,
		w.Hash, ns(w.ReceivedAt), w.Receiver, w.GroupKey, w.Status, w.Reason, w.Alerts, w.Body)
	if err != nil {
		return false, unavailable("insert webhook", err)
	}
	inserted := rows.Next()
	if inserted {
		err = rows.Scan(&w.ID)
	}
	if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
		return false, unavailable("insert webhook", err)
	}
	if inserted {
		return false, nil
	}
	err = t.tx.QueryRowContext(ctx, t.s.d.rebind("SELECT id FROM webhooks WHERE hash = ?"), w.Hash).Scan(&w.ID)
	if err != nil {
		return false, unavailable("find webhook", err)
	}
	return true, nil
}

type occKey struct {
	fp     string
	starts int64
}

func (t *txn) UpsertOccurrences(ctx context.Context, webhookID int64, occs []store.Occurrence) ([]store.OccurrenceChange, error) {
	const cols = 9
	byKey := make(map[occKey]int, len(occs))
	for i, o := range occs {
		byKey[occKey{o.Fingerprint, ns(o.StartsAt)}] = i
	}
	changed := make(map[int]store.OccurrenceChange)
	for start := 0; start < len(occs); start += t.chunk(cols) {
		batch := occs[start:min(len(occs), start+t.chunk(cols))]
		args := make([]any, 0, len(batch)*cols)
		for _, o := range batch {
			labels, err := encodeJSON(o.Labels)
			if err != nil {
				return nil, err
			}
			ann, err := encodeJSON(o.Annotations)
			if err != nil {
				return nil, err
			}
			args = append(args, o.Fingerprint, ns(o.StartsAt), ns(o.EndsAt), o.AlertName, labels, ann,
				o.GeneratorURL, webhookID, ns(o.ReceivedAt))
		}
		// An insert is new; a conflict updates only a firing row that the
		// input resolves. incident_id is 0 exactly for rows inserted now,
		// because the engine attaches every new occurrence in the same
		// transaction.
		rows, err := t.p().query(ctx, `INSERT INTO occurrences (fingerprint, starts_at, ends_at, alertname, labels,
			annotations, generator_url, webhook_id, received_at) VALUES `+values(len(batch), cols)+`
			ON CONFLICT (fingerprint, starts_at) DO UPDATE SET ends_at = excluded.ends_at
			WHERE occurrences.ends_at = 0 AND excluded.ends_at <> 0
			RETURNING id, fingerprint, starts_at, ends_at, incident_id, webhook_id`, args...)
		if err != nil {
			return nil, unavailable("upsert occurrences", err)
		}
		if err := collectChanges(rows, occs, byKey, changed); err != nil {
			return nil, unavailable("upsert occurrences", err)
		}
	}
	out := make([]store.OccurrenceChange, 0, len(changed))
	for i := range occs {
		if c, ok := changed[i]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func collectChanges(rows *sql.Rows, occs []store.Occurrence, byKey map[occKey]int, changed map[int]store.OccurrenceChange) error {
	defer rows.Close()
	for rows.Next() {
		var (
			id, incident, webhook int64
			fp                    string
			starts, ends          int64
		)
		if err := rows.Scan(&id, &fp, &starts, &ends, &incident, &webhook); err != nil {
			return err
		}
		i, ok := byKey[occKey{fp, starts}]
		if !ok {
			return fmt.Errorf("database returned an occurrence that was not sent: %s@%d", fp, starts)
		}
		o := occs[i]
		o.ID, o.EndsAt, o.IncidentID, o.WebhookID = id, fromNS(ends), incident, webhook
		changed[i] = store.OccurrenceChange{Occurrence: o, Inserted: incident == 0}
	}
	return rows.Err()
}

func (t *txn) LockGroups(ctx context.Context, groupKeys []string) error {
	if t.s.d.LockGroup == "" {
		return nil
	}
	// One statement per slot, in ascending order: the order of locks taken
	// inside one statement is not something PostgreSQL promises.
	for _, slot := range lockSlots(groupKeys) {
		rows, err := t.p().query(ctx, t.s.d.LockGroup, slot)
		if err != nil {
			return unavailable("lock groups", err)
		}
		if err := closeRows(rows, "lock groups"); err != nil {
			return err
		}
	}
	return nil
}

// lockSlots maps group keys to their distinct lock slots, ascending. FNV-1a
// is fixed forever: every replica must map a key to the same slot.
func lockSlots(keys []string) []int64 {
	seen := [store.GroupLockSlots]bool{}
	for _, k := range keys {
		h := fnv.New64a()
		_, _ = h.Write([]byte(k))
		seen[h.Sum64()%store.GroupLockSlots] = true
	}
	var slots []int64
	for i, ok := range seen {
		if ok {
			slots = append(slots, int64(i))
		}
	}
	return slots
}

func closeRows(rows *sql.Rows, op string) error {
	for rows.Next() {
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return unavailable(op, err)
	}
	return nil
}

func (t *txn) LatestIncident(ctx context.Context, groupKey string) (store.Incident, bool, error) {
	rows, err := t.p().query(ctx, `SELECT `+incidentCols+` FROM incidents WHERE group_key = ? AND state <> 'closed'
		ORDER BY id DESC LIMIT 1`+t.s.d.ForUpdate, groupKey)
	if err != nil {
		return store.Incident{}, false, unavailable("latest incident", err)
	}
	incs, err := collectIncidents(rows)
	if err != nil || len(incs) == 0 {
		return store.Incident{}, false, err
	}
	return incs[0], true, nil
}

func collectIncidents(rows *sql.Rows) ([]store.Incident, error) {
	return collect(rows, "read incidents", scanIncident)
}

// incidentByID reads one incident; suffix is "" for a plain read or the
// dialect's FOR UPDATE inside a transaction.
func incidentByID(ctx context.Context, p *prepared, id int64, suffix string) (store.Incident, error) {
	rows, err := p.query(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = ?`+suffix, id)
	if err != nil {
		return store.Incident{}, unavailable("incident", err)
	}
	incs, err := collectIncidents(rows)
	if err != nil {
		return store.Incident{}, err
	}
	if len(incs) == 0 {
		return store.Incident{}, fmt.Errorf("incident %d: %w", id, store.ErrNotFound)
	}
	return incs[0], nil
}

func (t *txn) IncidentForUpdate(ctx context.Context, id int64) (store.Incident, error) {
	return incidentByID(ctx, t.p(), id, t.s.d.ForUpdate)
}

func (t *txn) CreateIncident(ctx context.Context, inc *store.Incident) error {
	args, err := incidentArgs(*inc)
	if err != nil {
		return err
	}
	args = append([]any{inc.GroupKey, ns(inc.OpenedAt)}, args...)
	err = t.tx.QueryRowContext(ctx, t.s.d.rebind(`INSERT INTO incidents (group_key, opened_at, title, service, labels,
		state, priority, grade_reason, assignee, cycle, updated_at, acknowledged_at, resolved_at, closed_at,
		response_due, resolution_due, response_breached_at, resolution_breached_at)
		VALUES (`+placeholders(len(args))+`) RETURNING id`), args...).Scan(&inc.ID)
	if err != nil {
		return unavailable("create incident", err)
	}
	return nil
}

func (t *txn) UpdateIncident(ctx context.Context, inc store.Incident) error {
	args, err := incidentArgs(inc)
	if err != nil {
		return err
	}
	res, err := t.p().exec(ctx, `UPDATE incidents SET `+incidentMutable+` WHERE id = ?`, append(args, inc.ID)...)
	if err != nil {
		return unavailable("update incident", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("update incident %d: %w", inc.ID, store.ErrNotFound)
	}
	return nil
}

func (t *txn) AttachOccurrences(ctx context.Context, incidentID int64, ids []int64) error {
	for start := 0; start < len(ids); start += t.chunk(1) {
		batch := ids[start:min(len(ids), start+t.chunk(1))]
		args := make([]any, 0, len(batch)+1)
		args = append(args, incidentID)
		for _, id := range batch {
			args = append(args, id)
		}
		if _, err := t.p().exec(ctx, `UPDATE occurrences SET incident_id = ? WHERE id IN (`+placeholders(len(batch))+`)`, args...); err != nil {
			return unavailable("attach occurrences", err)
		}
	}
	return nil
}

func (t *txn) CountFiring(ctx context.Context, incidentID int64) (int, error) {
	rows, err := t.p().query(ctx, `SELECT count(*) FROM occurrences WHERE incident_id = ? AND ends_at = 0`, incidentID)
	if err != nil {
		return 0, unavailable("count firing", err)
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		err = rows.Scan(&n)
	}
	if err = errors.Join(err, rows.Err()); err != nil {
		return 0, unavailable("count firing", err)
	}
	return n, nil
}

func (t *txn) AppendEvents(ctx context.Context, evs []store.Event) error {
	const cols = 8
	for start := 0; start < len(evs); start += t.chunk(cols) {
		batch := evs[start:min(len(evs), start+t.chunk(cols))]
		args := make([]any, 0, len(batch)*cols)
		for _, e := range batch {
			data := ""
			if len(e.Data) > 0 {
				var err error
				if data, err = encodeJSON(e.Data); err != nil {
					return err
				}
			}
			args = append(args, e.IncidentID, ns(e.At), string(e.Kind), e.Actor, e.From, e.To, e.Note, data)
		}
		if _, err := t.p().exec(ctx, `INSERT INTO events (incident_id, at, kind, actor, from_state, to_state, note, data)
			VALUES `+values(len(batch), cols), args...); err != nil {
			return unavailable("append events", err)
		}
	}
	return nil
}

func (t *txn) Enqueue(ctx context.Context, items []store.OutboxItem) (int, error) {
	const cols = 9
	total := 0
	for start := 0; start < len(items); start += t.chunk(cols) {
		batch := items[start:min(len(items), start+t.chunk(cols))]
		args := make([]any, 0, len(batch)*cols)
		for _, it := range batch {
			if it.Key == "" {
				return total, errors.New("enqueue: an outbox item needs a key")
			}
			payload := it.Payload
			if payload == nil {
				payload = []byte{}
			}
			queue := it.Queue
			if queue == "" {
				queue = store.QueueNotify
			}
			args = append(args, it.Key, it.Channel, it.Kind, it.IncidentID, payload, ns(it.CreatedAt), ns(it.NotBefore),
				queue, it.OrderingKey)
		}
		res, err := t.p().exec(ctx, `INSERT INTO outbox (key, channel, kind, incident_id, payload, created_at, not_before,
			queue, ordering_key)
			VALUES `+values(len(batch), cols)+` ON CONFLICT (key) DO NOTHING`, args...)
		if err != nil {
			return total, unavailable("enqueue", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, unavailable("enqueue", err)
		}
		total += int(n)
	}
	return total, nil
}

func (t *txn) DueBreaches(ctx context.Context, now time.Time, limit int) ([]store.Incident, error) {
	at := ns(now)
	rows, err := t.p().query(ctx, `SELECT `+incidentCols+` FROM incidents
		WHERE state IN ('new', 'acknowledged', 'in_progress') AND (
		  (state = 'new' AND response_breached_at = 0 AND response_due <> 0 AND response_due <= ?)
		  OR (resolution_breached_at = 0 AND resolution_due <> 0 AND resolution_due <= ?))
		ORDER BY id LIMIT ?`+t.s.d.SkipLocked, at, at, limit)
	if err != nil {
		return nil, unavailable("due breaches", err)
	}
	return collectIncidents(rows)
}

// Exec runs one statement in the transaction (storetest proves with it
// that the timeline refuses edits).
func (t *txn) Exec(ctx context.Context, q string) error {
	_, err := t.tx.ExecContext(ctx, q)
	return err
}
