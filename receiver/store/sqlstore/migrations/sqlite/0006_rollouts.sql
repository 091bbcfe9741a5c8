-- golive rollout: the plans the receiver runs, and each one's log. Times
-- are Unix nanoseconds like everywhere else; states are JSON from the
-- traffic driver, kept as they were recorded.
CREATE TABLE rollouts (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  name              TEXT    NOT NULL,
  gate              TEXT    NOT NULL,
  state             TEXT    NOT NULL,
  source            BLOB    NOT NULL,
  plan              BLOB    NOT NULL,
  step              INTEGER NOT NULL DEFAULT -1,
  step_phase        TEXT    NOT NULL DEFAULT '',
  step_started_at   INTEGER NOT NULL DEFAULT 0,
  hold_resumed_step INTEGER NOT NULL DEFAULT -1,
  reason            TEXT    NOT NULL DEFAULT '',
  request           TEXT    NOT NULL DEFAULT '',
  before_state      BLOB    NOT NULL,
  applied_state     BLOB,
  lease_owner       TEXT    NOT NULL DEFAULT '',
  lease_until       INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  ended_at          INTEGER NOT NULL DEFAULT 0
);
-- The runner scans the rollouts not yet final.
CREATE INDEX rollouts_active ON rollouts (id) WHERE ended_at = 0;

CREATE TABLE rollout_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  rollout_id  INTEGER NOT NULL REFERENCES rollouts (id),
  at          INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  step        INTEGER NOT NULL,
  decision_id INTEGER NOT NULL DEFAULT 0,
  decision    TEXT    NOT NULL DEFAULT '',
  before_state BLOB,
  after_state  BLOB,
  note        TEXT    NOT NULL DEFAULT '',
  actor       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX rollout_events_rollout ON rollout_events (rollout_id, id);
