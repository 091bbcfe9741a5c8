-- Go-live readiness: manual sign-offs (append-only, the newest per item
-- counts until it expires), stored reports (append-only; the newest is what
-- metrics and the rollout gate read) and `golive notify test` results per
-- channel. Times are Unix nanoseconds like everywhere else.
CREATE TABLE readiness_signoffs (
  id         INTEGER PRIMARY KEY,
  item       TEXT    NOT NULL,
  signed_by  TEXT    NOT NULL,
  comment    TEXT    NOT NULL,
  signed_at  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX readiness_signoffs_item ON readiness_signoffs (item, id);

CREATE TABLE readiness_reports (
  id           INTEGER PRIMARY KEY,
  generated_at INTEGER NOT NULL,
  ready        INTEGER NOT NULL,
  body         BLOB    NOT NULL
);

CREATE TABLE channel_tests (
  id        INTEGER PRIMARY KEY,
  channel   TEXT    NOT NULL,
  ok        INTEGER NOT NULL,
  error     TEXT    NOT NULL,
  tested_at INTEGER NOT NULL
);
CREATE INDEX channel_tests_channel ON channel_tests (channel, tested_at);
