-- Rollout gate decisions: append-only, each with the inputs it was made
-- from (body, JSON). Times are Unix nanoseconds like everywhere else.
CREATE TABLE gate_decisions (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  gate         TEXT    NOT NULL,
  decision     TEXT    NOT NULL,
  evaluated_at INTEGER NOT NULL,
  body         BLOB    NOT NULL
);
CREATE INDEX gate_decisions_gate ON gate_decisions (gate, id);
-- Gates read the firing occurrences on every evaluation.
CREATE INDEX occurrences_firing ON occurrences (id) WHERE ends_at = 0;
