-- auth service, PostgreSQL dialect, 0002: events get updated_at (filled from created_at); indexes for the declared filters and sorts of sessions and events.
ALTER TABLE auth.events ADD COLUMN updated_at TEXT;
UPDATE auth.events SET updated_at = created_at;
CREATE INDEX events_kind ON auth.events (kind);
CREATE INDEX events_created ON auth.events (created_at, id);
CREATE INDEX sessions_expires ON auth.sessions (expires_at);
CREATE INDEX sessions_created ON auth.sessions (created_at, id);
