-- The migration ledger (issue 12): each tenant's applied migrations per
-- service, with the checksum (SHA-256, hex) of the SQL text that ran, so a
-- migration edited after it was applied is refused, and fleet runs skip
-- tenants already current without opening their databases
-- (schema_versions stays the per tenant × service summary they read).
CREATE TABLE tenant_migrations (
    tenant_id   TEXT NOT NULL,
    service     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT,             -- NULL: adopted (see below), named on the next run
    dialect     TEXT,             -- "sqlite" | "postgres": the text the checksum is of
    checksum    TEXT,             -- NULL: adopted, stamped on the next run
    applied_at  TEXT NOT NULL,
    duration_ms BIGINT,           -- NULL: applied before the ledger, or from a template
    run_id      TEXT,             -- the migrate job that applied it, if any
    PRIMARY KEY (tenant_id, service, version)
);
CREATE INDEX tenant_migrations_adopted ON tenant_migrations (service, version)
    WHERE checksum IS NULL;
-- the distinct checksums every run compares with the code's, read from
-- the index alone
CREATE INDEX tenant_migrations_sums
    ON tenant_migrations (dialect, service, version, checksum, tenant_id);

-- Tenants whose migration failed: quarantined (skipped by later runs,
-- reported) until a run retries them (--retry-failed or --tenant) or the
-- failing migration's text changes. One row per tenant × service.
CREATE TABLE migration_failures (
    tenant_id TEXT NOT NULL,
    service   TEXT NOT NULL,
    version   INTEGER NOT NULL,   -- the migration that failed
    checksum  TEXT NOT NULL,      -- of its text then
    error     TEXT NOT NULL,
    run_id    TEXT,
    failed_at TEXT NOT NULL,
    attempts  INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, service)
);

-- Tenants made before the ledger: every version up to the recorded one
-- counts as applied (the tenant database's own td_migrations says the
-- same); name and checksum are stamped from the code on the next run.
INSERT INTO tenant_migrations (tenant_id, service, version, applied_at)
WITH RECURSIVE n (v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 1000)
SELECT sv.tenant_id, sv.service, n.v, sv.updated_at
FROM schema_versions sv JOIN n ON n.v <= sv.version;
