-- Platform sessions (refresh tokens of superadmins, stored hashed) and the
-- revocation list of access tokens (kept until they would have expired).
CREATE TABLE platform_sessions (
    id           TEXT PRIMARY KEY,
    admin_id     TEXT NOT NULL REFERENCES platform_admins (id),
    family_id    TEXT NOT NULL,
    refresh_hash TEXT NOT NULL UNIQUE,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX platform_sessions_family ON platform_sessions (family_id);

-- jti holds "jti:<id>" (one token), "sub:<user id>" or "tid:<tenant id>"
-- (every token issued to them up to revoked_at).
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
