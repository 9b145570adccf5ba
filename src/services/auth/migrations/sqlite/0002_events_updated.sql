-- auth service, SQLite dialect, 0002: events get updated_at (filled from created_at); indexes for the declared filters and sorts of sessions and events.
ALTER TABLE events ADD COLUMN updated_at TEXT;
UPDATE events SET updated_at = created_at;
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_created ON events (created_at, id);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_created ON sessions (created_at, id);
