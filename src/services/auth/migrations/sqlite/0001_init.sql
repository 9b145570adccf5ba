-- auth service, SQLite dialect: one file per service, attached as "auth".
CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL
);
INSERT INTO roles (name, description) VALUES
    ('admin', 'manages the tenant: users, keys, services and data'),
    ('manager', 'reads and writes the data of the services granted'),
    ('client', 'reads and writes its own records in the services granted');

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL REFERENCES roles (name),
    name          TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    last_login_at TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_role ON users (role);

CREATE TABLE user_services (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    PRIMARY KEY (user_id, service)
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id    TEXT NOT NULL,
    refresh_hash TEXT NOT NULL UNIQUE,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    client_addr  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_family ON sessions (family_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    role         TEXT NOT NULL REFERENCES roles (name),
    services     TEXT,
    read_only    INTEGER NOT NULL DEFAULT 0,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    created_by   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,
    kind        TEXT NOT NULL,
    client_addr TEXT,
    detail      TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX events_user ON events (user_id, created_at);
