-- Backups of tenants taken through the API, the CLI without --out, or a
-- schedule (issue 12): one row per file under the data folder's backups/
-- (file is relative to it). status: running until the file is complete,
-- then ready, or failed with error. A tenant's rows stay after it is
-- deleted (its files are then unreadable: the tenant key is destroyed).
CREATE TABLE backups (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    status      TEXT NOT NULL CHECK (status IN ('running','ready','failed')),
    file        TEXT NOT NULL,
    size        BIGINT NOT NULL DEFAULT 0,
    checksum    TEXT,
    row_count   BIGINT NOT NULL DEFAULT 0,
    error       TEXT,
    job_id      TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX backups_tenant ON backups (tenant_id, created_at);
