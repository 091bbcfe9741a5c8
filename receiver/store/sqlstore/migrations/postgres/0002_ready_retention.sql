-- /-/ready commits a row here: ready means a write would commit.
CREATE TABLE heartbeat (
  id INTEGER PRIMARY KEY,
  at BIGINT  NOT NULL
);

-- Retention deletes by age, oldest first, in small batches.
CREATE INDEX webhooks_received ON webhooks (received_at);
CREATE INDEX occurrences_ended ON occurrences (ends_at) WHERE ends_at <> 0;
CREATE INDEX incidents_closed ON incidents (closed_at) WHERE state = 'closed';

-- An incident's timeline stays append-only while the incident exists.
-- Retention deletes a closed incident, deliberately, and its timeline goes
-- with it (the cascade); nothing else may delete an event.
ALTER TABLE events DROP CONSTRAINT events_incident_id_fkey;
ALTER TABLE events ADD CONSTRAINT events_incident_id_fkey
  FOREIGN KEY (incident_id) REFERENCES incidents (id) ON DELETE CASCADE;
CREATE OR REPLACE FUNCTION golive_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM incidents WHERE id = OLD.incident_id) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the timeline is append-only';
END $$;
