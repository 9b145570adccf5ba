-- Impersonations (issue 13 part 6): a superadmin acting as a tenant's user
-- for a bounded time with a stated reason. The token handed out carries
-- the row's id as its jti and the superadmin in its act claim; revoking
-- the row revokes that jti. Listed to the tenant's admins.
CREATE TABLE impersonations (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL,
    admin_id   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT
);
CREATE INDEX impersonations_tenant ON impersonations (tenant_id, created_at);
