-- analytics service, PostgreSQL dialect, 0001: events (append-only), metrics, dashboards.
CREATE SCHEMA analytics;
CREATE TABLE analytics.events (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    ts         TEXT NOT NULL,
    value      DOUBLE PRECISION,
    props      TEXT,
    session_id TEXT,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX events_name_ts ON analytics.events (name, ts);
CREATE INDEX events_ts ON analytics.events (ts);
CREATE INDEX events_session ON analytics.events (session_id);
CREATE INDEX events_owner ON analytics.events (owner_id);

CREATE TABLE analytics.metrics (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    event       TEXT NOT NULL,
    aggregation TEXT NOT NULL DEFAULT 'count',
    description TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX metrics_name ON analytics.metrics (name);
CREATE INDEX metrics_event ON analytics.metrics (event);
CREATE INDEX metrics_aggregation ON analytics.metrics (aggregation);
CREATE INDEX metrics_owner ON analytics.metrics (owner_id);
CREATE INDEX metrics_created ON analytics.metrics (created_at, id);

CREATE TABLE analytics.dashboards (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    layout      TEXT,
    description TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX dashboards_name ON analytics.dashboards (name);
CREATE INDEX dashboards_owner ON analytics.dashboards (owner_id);
CREATE INDEX dashboards_created ON analytics.dashboards (created_at, id);
