-- Times are Unix nanoseconds (0 = unset): exact, so (fingerprint, starts_at)
-- stays an exact key, and identical on SQLite and PostgreSQL.
CREATE TABLE webhooks (
  id          INTEGER PRIMARY KEY,
  hash        TEXT    NOT NULL UNIQUE,
  received_at INTEGER NOT NULL,
  receiver    TEXT    NOT NULL,
  group_key   TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  alerts      INTEGER NOT NULL,
  body        BLOB    NOT NULL
);

CREATE TABLE incidents (
  id                     INTEGER PRIMARY KEY,
  group_key              TEXT    NOT NULL,
  title                  TEXT    NOT NULL,
  service                TEXT    NOT NULL,
  labels                 TEXT    NOT NULL,
  state                  TEXT    NOT NULL,
  priority               TEXT    NOT NULL,
  grade_reason           TEXT    NOT NULL,
  assignee               TEXT    NOT NULL,
  cycle                  INTEGER NOT NULL,
  opened_at              INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  acknowledged_at        INTEGER NOT NULL DEFAULT 0,
  resolved_at            INTEGER NOT NULL DEFAULT 0,
  closed_at              INTEGER NOT NULL DEFAULT 0,
  response_due           INTEGER NOT NULL DEFAULT 0,
  resolution_due         INTEGER NOT NULL DEFAULT 0,
  response_breached_at   INTEGER NOT NULL DEFAULT 0,
  resolution_breached_at INTEGER NOT NULL DEFAULT 0
);
-- At most one open incident per group, even with several writers.
CREATE UNIQUE INDEX incidents_open_group ON incidents (group_key)
  WHERE state IN ('new', 'acknowledged', 'in_progress');
CREATE INDEX incidents_group ON incidents (group_key, id);
CREATE INDEX incidents_opened ON incidents (opened_at);
CREATE INDEX incidents_state ON incidents (state, priority);

CREATE TABLE occurrences (
  id            INTEGER PRIMARY KEY,
  fingerprint   TEXT    NOT NULL,
  starts_at     INTEGER NOT NULL,
  ends_at       INTEGER NOT NULL DEFAULT 0,
  alertname     TEXT    NOT NULL,
  labels        TEXT    NOT NULL,
  annotations   TEXT    NOT NULL,
  generator_url TEXT    NOT NULL,
  incident_id   INTEGER NOT NULL DEFAULT 0,
  webhook_id    INTEGER NOT NULL,
  received_at   INTEGER NOT NULL,
  UNIQUE (fingerprint, starts_at)
);
CREATE INDEX occurrences_incident ON occurrences (incident_id, ends_at);

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  at          INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  actor       TEXT    NOT NULL,
  from_state  TEXT    NOT NULL,
  to_state    TEXT    NOT NULL,
  note        TEXT    NOT NULL,
  data        TEXT    NOT NULL
);
CREATE INDEX events_incident ON events (incident_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END;

CREATE TABLE outbox (
  id          INTEGER PRIMARY KEY,
  key         TEXT    NOT NULL UNIQUE,
  channel     TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  incident_id INTEGER NOT NULL,
  payload     BLOB    NOT NULL,
  created_at  INTEGER NOT NULL,
  not_before  INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT    NOT NULL DEFAULT '',
  claimed_by  TEXT    NOT NULL DEFAULT '',
  lease_until INTEGER NOT NULL DEFAULT 0,
  done_at     INTEGER NOT NULL DEFAULT 0,
  failed      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (done_at, not_before, id);
CREATE INDEX outbox_incident ON outbox (incident_id, id);
