-- analytics service, SQLite dialect, 0001: events (append-only), metrics, dashboards.
CREATE TABLE events (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    ts         TEXT NOT NULL,
    value      REAL,
    props      TEXT,
    session_id TEXT,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX events_name_ts ON events (name, ts);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_session ON events (session_id);
CREATE INDEX events_owner ON events (owner_id);

CREATE TABLE metrics (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    event       TEXT NOT NULL,
    aggregation TEXT NOT NULL DEFAULT 'count',
    description TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX metrics_name ON metrics (name);
CREATE INDEX metrics_event ON metrics (event);
CREATE INDEX metrics_aggregation ON metrics (aggregation);
CREATE INDEX metrics_owner ON metrics (owner_id);
CREATE INDEX metrics_created ON metrics (created_at, id);

CREATE TABLE dashboards (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    layout      TEXT,
    description TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX dashboards_name ON dashboards (name);
CREATE INDEX dashboards_owner ON dashboards (owner_id);
CREATE INDEX dashboards_created ON dashboards (created_at, id);
