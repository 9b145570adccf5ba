-- The audit log's appends cost what its indexes cost (issue 10: the drain
-- must take 50 000 outbox rows/s). Two of them guarded nothing the writers
-- do not already guarantee:
-- - id: a UUIDv7 the writer makes; nothing looks a record up by it alone
--   (pages walk (at, id) and (tenant_id, at, id), which stay);
-- - source: a second guard against a drained row recorded twice. The
--   first is the drain's transaction itself: it locks the tenant service's
--   outbox_marks row, skips rows at or below the mark, appends and moves
--   the mark in one commit (src/audit/drain.c), so a row is recorded once.
-- SQLite cannot drop a UNIQUE constraint: the table is rebuilt.
CREATE TABLE audit_log_lean (
    tenant_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    id          TEXT NOT NULL,
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
    source      TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
INSERT INTO audit_log_lean SELECT tenant_id, seq, id, at, actor_kind, actor_id, service, action,
    resource, row_id, request_id, client_addr, outcome, detail, source, prev_hash, hash
FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_lean RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at, id);
