-- Jobs: the outbox becomes a queue of several kinds of work (notify,
-- remediate). An item with an ordering key is claimed only after every
-- older item with the same key is done, so one incident's notifications
-- to one channel leave in order.
ALTER TABLE outbox ADD COLUMN queue TEXT NOT NULL DEFAULT 'notify';
ALTER TABLE outbox ADD COLUMN ordering_key TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_ordering ON outbox (ordering_key, done_at, id);
CREATE INDEX outbox_queue_due ON outbox (queue, done_at, not_before, id);

-- One row per planned remediation: what would run (request, secrets
-- redacted), why (trigger), and what happened (state, result). key makes
-- the plan of one incident change and action happen once across replicas.
CREATE TABLE remediations (
  id            INTEGER PRIMARY KEY,
  key           TEXT    NOT NULL UNIQUE,
  incident_id   INTEGER NOT NULL,
  cycle         INTEGER NOT NULL,
  action        TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  target        TEXT    NOT NULL,
  trigger_kind  TEXT    NOT NULL,
  state         TEXT    NOT NULL,
  dry_run       INTEGER NOT NULL DEFAULT 0,
  idempotent    INTEGER NOT NULL DEFAULT 0,
  request       TEXT    NOT NULL,
  result        TEXT    NOT NULL DEFAULT '',
  reason        TEXT    NOT NULL DEFAULT '',
  attempts      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL DEFAULT 0,
  started_at    INTEGER NOT NULL DEFAULT 0,
  finished_at   INTEGER NOT NULL DEFAULT 0,
  decided_by    TEXT    NOT NULL DEFAULT '',
  decision_note TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX remediations_state ON remediations (state, id);
CREATE INDEX remediations_incident ON remediations (incident_id, id);
CREATE INDEX remediations_budget ON remediations (action, target, created_at);

-- The global kill switch, shared by every replica.
CREATE TABLE remediation_control (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  paused INTEGER NOT NULL,
  actor  TEXT    NOT NULL,
  note   TEXT    NOT NULL,
  at     INTEGER NOT NULL
);
INSERT INTO remediation_control (id, paused, actor, note, at) VALUES (1, 0, '', '', 0);
