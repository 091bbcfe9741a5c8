package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/golive-ops/golive/receiver/store"
)

// ns stores a time as Unix nanoseconds; the zero time is 0.
func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

func decodeMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode labels: %w", err)
	}
	return m, nil
}

type scanner interface{ Scan(dest ...any) error }

// collect scans every row and closes rows; any failure is a storage
// failure of op.
func collect[T any](rows *sql.Rows, op string, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, unavailable(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(op, err)
	}
	return out, nil
}

const incidentCols = `id, group_key, title, service, labels, state, priority, grade_reason, assignee, cycle,
	opened_at, updated_at, acknowledged_at, resolved_at, closed_at, response_due, resolution_due,
	response_breached_at, resolution_breached_at`

func scanIncident(sc scanner) (store.Incident, error) {
	var (
		inc                                      store.Incident
		labels, reason, state, prio              string
		opened, updated, acked, resolved, closed int64
		respDue, resDue, respBr, resBr           int64
	)
	if err := sc.Scan(&inc.ID, &inc.GroupKey, &inc.Title, &inc.Service, &labels, &state, &prio, &reason,
		&inc.Assignee, &inc.Cycle, &opened, &updated, &acked, &resolved, &closed,
		&respDue, &resDue, &respBr, &resBr); err != nil {
		return inc, err
	}
	var err error
	if inc.Labels, err = decodeMap(labels); err != nil {
		return inc, err
	}
	if err := json.Unmarshal([]byte(reason), &inc.GradeReason); err != nil {
		return inc, fmt.Errorf("decode grade reason: %w", err)
	}
	inc.State, inc.Priority = store.State(state), store.Priority(prio)
	inc.OpenedAt, inc.UpdatedAt = fromNS(opened), fromNS(updated)
	inc.AcknowledgedAt, inc.ResolvedAt, inc.ClosedAt = fromNS(acked), fromNS(resolved), fromNS(closed)
	inc.ResponseDue, inc.ResolutionDue = fromNS(respDue), fromNS(resDue)
	inc.ResponseBreachedAt, inc.ResolutionBreachedAt = fromNS(respBr), fromNS(resBr)
	return inc, nil
}

// incidentArgs are the mutable columns, in incidentMutable order.
const incidentMutable = `title = ?, service = ?, labels = ?, state = ?, priority = ?, grade_reason = ?, assignee = ?,
	cycle = ?, updated_at = ?, acknowledged_at = ?, resolved_at = ?, closed_at = ?, response_due = ?,
	resolution_due = ?, response_breached_at = ?, resolution_breached_at = ?`

func incidentArgs(inc store.Incident) ([]any, error) {
	labels, err := encodeJSON(inc.Labels)
	if err != nil {
		return nil, err
	}
	reason, err := encodeJSON(inc.GradeReason)
	if err != nil {
		return nil, err
	}
	return []any{inc.Title, inc.Service, labels, string(inc.State), string(inc.Priority), reason, inc.Assignee,
		inc.Cycle, ns(inc.UpdatedAt), ns(inc.AcknowledgedAt), ns(inc.ResolvedAt), ns(inc.ClosedAt),
		ns(inc.ResponseDue), ns(inc.ResolutionDue), ns(inc.ResponseBreachedAt), ns(inc.ResolutionBreachedAt)}, nil
}

const occurrenceCols = `id, fingerprint, starts_at, ends_at, alertname, labels, annotations, generator_url,
	incident_id, webhook_id, received_at`

func scanOccurrence(sc scanner) (store.Occurrence, error) {
	var (
		o                      store.Occurrence
		starts, ends, received int64
		labels, annotations    string
	)
	if err := sc.Scan(&o.ID, &o.Fingerprint, &starts, &ends, &o.AlertName, &labels, &annotations,
		&o.GeneratorURL, &o.IncidentID, &o.WebhookID, &received); err != nil {
		return o, err
	}
	var err error
	if o.Labels, err = decodeMap(labels); err != nil {
		return o, err
	}
	if o.Annotations, err = decodeMap(annotations); err != nil {
		return o, err
	}
	o.StartsAt, o.EndsAt, o.ReceivedAt = fromNS(starts), fromNS(ends), fromNS(received)
	return o, nil
}

const eventCols = `id, incident_id, at, kind, actor, from_state, to_state, note, data`

func scanEvent(sc scanner) (store.Event, error) {
	var (
		e          store.Event
		at         int64
		kind, data string
	)
	if err := sc.Scan(&e.ID, &e.IncidentID, &at, &kind, &e.Actor, &e.From, &e.To, &e.Note, &data); err != nil {
		return e, err
	}
	e.At, e.Kind = fromNS(at), store.EventKind(kind)
	if data != "" && data != "null" {
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			return e, fmt.Errorf("decode event data: %w", err)
		}
	}
	return e, nil
}

const outboxCols = `id, key, channel, kind, incident_id, payload, created_at, not_before, attempts, last_error,
	claimed_by, lease_until, done_at, failed, queue, ordering_key`

func scanOutbox(sc scanner) (store.OutboxItem, error) {
	var (
		it                              store.OutboxItem
		created, notBefore, lease, done int64
		failed                          int
	)
	if err := sc.Scan(&it.ID, &it.Key, &it.Channel, &it.Kind, &it.IncidentID, &it.Payload, &created, &notBefore,
		&it.Attempts, &it.LastError, &it.ClaimedBy, &lease, &done, &failed, &it.Queue, &it.OrderingKey); err != nil {
		return it, err
	}
	it.CreatedAt, it.NotBefore, it.LeaseUntil, it.DoneAt = fromNS(created), fromNS(notBefore), fromNS(lease), fromNS(done)
	it.Failed = failed != 0
	return it, nil
}
