-- /-/ready commits a row here: ready means a write would commit.
CREATE TABLE heartbeat (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL
);

-- Retention deletes by age, oldest first, in small batches.
CREATE INDEX webhooks_received ON webhooks (received_at);
CREATE INDEX occurrences_ended ON occurrences (ends_at) WHERE ends_at <> 0;
CREATE INDEX incidents_closed ON incidents (closed_at) WHERE state = 'closed';

-- An incident's timeline stays append-only while the incident exists.
-- Retention deletes a closed incident, deliberately, and its timeline goes
-- with it; nothing else may delete an event.
DROP TRIGGER events_no_delete;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  WHEN EXISTS (SELECT 1 FROM incidents WHERE id = OLD.incident_id)
  BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END;
CREATE TRIGGER incidents_delete_timeline AFTER DELETE ON incidents
  BEGIN DELETE FROM events WHERE incident_id = OLD.id; END;
