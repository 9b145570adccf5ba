-- Accounts (issue 13 part 1): a person or company owning tenants. Its
-- owner users log in once (email + argon2id hash held here) and switch
-- into the account's tenants; their refresh tokens ("tdr_a_…") are kept
-- hashed in account_sessions. A tenant made by an operator has no
-- account (tenants.account_id NULL).
CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active','suspended')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE account_owners (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    email         TEXT NOT NULL UNIQUE,
    name          TEXT,
    password_hash TEXT NOT NULL,
    gen           BIGINT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    last_login_at TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX account_owners_account ON account_owners (account_id);
CREATE TABLE account_sessions (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL REFERENCES account_owners (id),
    family_id    TEXT NOT NULL,
    refresh_hash TEXT NOT NULL UNIQUE,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX account_sessions_family ON account_sessions (family_id);
ALTER TABLE tenants ADD COLUMN account_id TEXT REFERENCES accounts (id);
CREATE INDEX tenants_account ON tenants (account_id);
