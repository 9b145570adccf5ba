-- API keys, tenant-scoped (tenant_id set) or platform-scoped (NULL). Kept in
-- the catalog so that a key alone resolves its tenant in one lookup. The
-- secret is stored as a BLAKE2b hash only.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT REFERENCES tenants (id),
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    role         TEXT NOT NULL,
    services     TEXT,
    read_only    INTEGER NOT NULL DEFAULT 0,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
