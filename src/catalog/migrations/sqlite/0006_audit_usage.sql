-- Audit, figures and usage (issue 10). Times are unix milliseconds.

-- The audit log: one hash chain per tenant (tenant_id '' is the platform's
-- own chain: admins, servers, configuration). seq counts 1, 2, … within a
-- chain; hash = H(prev_hash ‖ canonical content). Append-only: nothing
-- updates or deletes a row. source names where a record came from, once:
-- 'outbox:<service>:<outbox seq>' for a drained tenant write, NULL for a
-- record the operation wrote itself.
CREATE TABLE audit_log (
    tenant_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    at          BIGINT NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    service     TEXT,
    action      TEXT NOT NULL,
    resource    TEXT,
    row_id      TEXT,
    request_id  TEXT,
    client_addr TEXT,
    outcome     TEXT NOT NULL,
    detail      TEXT,
    source      TEXT UNIQUE,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at, id);

-- Each chain's head: the last record's seq and hash (the row a writer
-- locks to append).
CREATE TABLE audit_heads (
    tenant_id TEXT PRIMARY KEY,
    seq       BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Anchors: after each drain, a record over the heads it moved, itself
-- chained (hash = H(prev_hash ‖ heads_hash)).
CREATE TABLE audit_anchors (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    ntenants   BIGINT NOT NULL,
    heads_hash TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- How far each tenant service's outbox has been drained: rows with seq ≤
-- last_seq are in audit_log (and counted in the figures).
CREATE TABLE outbox_marks (
    tenant_id  TEXT NOT NULL,
    service    TEXT NOT NULL,
    last_seq   BIGINT NOT NULL,
    drained_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, service)
);

-- Figures kept by the drain, so summaries never open a tenant database.
CREATE TABLE tenant_service_stats (
    tenant_id     TEXT NOT NULL,
    service       TEXT NOT NULL,
    resource      TEXT NOT NULL,
    rows_count    BIGINT NOT NULL DEFAULT 0,
    bytes         BIGINT NOT NULL DEFAULT 0,
    writes        BIGINT NOT NULL DEFAULT 0,
    last_write_at BIGINT,
    PRIMARY KEY (tenant_id, service, resource)
);
CREATE TABLE tenant_stats (
    tenant_id       TEXT PRIMARY KEY,
    rows_count      BIGINT NOT NULL DEFAULT 0,
    bytes           BIGINT NOT NULL DEFAULT 0,
    writes          BIGINT NOT NULL DEFAULT 0,
    requests        BIGINT NOT NULL DEFAULT 0,
    last_write_at   BIGINT,
    last_request_at BIGINT
);
CREATE INDEX tenant_stats_rows ON tenant_stats (rows_count, tenant_id);
CREATE INDEX tenant_stats_bytes ON tenant_stats (bytes, tenant_id);
CREATE INDEX tenant_stats_last_write ON tenant_stats (last_write_at, tenant_id);
CREATE TABLE service_stats (
    service       TEXT PRIMARY KEY,
    rows_count    BIGINT NOT NULL DEFAULT 0,
    bytes         BIGINT NOT NULL DEFAULT 0,
    writes        BIGINT NOT NULL DEFAULT 0,
    requests      BIGINT NOT NULL DEFAULT 0,
    last_write_at BIGINT
);

-- Usage per tenant × service × hour (hour = the hour's first millisecond).
-- requests and bytes come from the request path (counted in memory,
-- flushed in batches); writes and rows_written from the drain;
-- storage_bytes is the service's bytes when the roll-up last ran.
CREATE TABLE usage_metrics (
    tenant_id     TEXT NOT NULL,
    service       TEXT NOT NULL,
    hour          BIGINT NOT NULL,
    requests      BIGINT NOT NULL DEFAULT 0,
    writes        BIGINT NOT NULL DEFAULT 0,
    rows_written  BIGINT NOT NULL DEFAULT 0,
    bytes_in      BIGINT NOT NULL DEFAULT 0,
    bytes_out     BIGINT NOT NULL DEFAULT 0,
    storage_bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, service, hour)
);
CREATE INDEX usage_metrics_hour ON usage_metrics (hour);
-- The same per service, for the summaries' last hour and last day.
CREATE TABLE service_hourly (
    service      TEXT NOT NULL,
    hour         BIGINT NOT NULL,
    requests     BIGINT NOT NULL DEFAULT 0,
    writes       BIGINT NOT NULL DEFAULT 0,
    rows_written BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (service, hour)
);

-- One request in N (usage_log_sample), as it was answered.
CREATE TABLE api_usage_logs (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    tenant_id   TEXT,
    actor_kind  TEXT,
    actor_id    TEXT,
    method      TEXT NOT NULL,
    route       TEXT NOT NULL,
    status      INTEGER NOT NULL,
    duration_us BIGINT NOT NULL,
    bytes_in    BIGINT NOT NULL,
    bytes_out   BIGINT NOT NULL,
    request_id  TEXT
);
CREATE INDEX api_usage_logs_tenant_at ON api_usage_logs (tenant_id, at);
CREATE INDEX api_usage_logs_at ON api_usage_logs (at);
