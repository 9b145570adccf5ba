-- The catalog (control plane), PostgreSQL dialect. Times are ISO-8601 UTC text.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('provisioning','active','suspended','deleting','deleted','failed')),
    backend     TEXT NOT NULL CHECK (backend IN ('sqlite','postgres')),
    plan        TEXT,
    error       TEXT,
    pending_admin TEXT,
    wrapped_key TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX tenants_live_slug ON tenants (slug) WHERE status <> 'deleted';
CREATE INDEX tenants_status ON tenants (status);

CREATE TABLE services (
    name           TEXT PRIMARY KEY,
    latest_version INTEGER NOT NULL,
    builtin        INTEGER NOT NULL DEFAULT 1,
    updated_at     TEXT NOT NULL
);

CREATE TABLE tenant_services (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    service    TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, service)
);

CREATE TABLE db_servers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    url_enc    TEXT NOT NULL,
    url_hint   TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL
);

CREATE TABLE tenant_databases (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
    backend    TEXT NOT NULL,
    server_id  TEXT REFERENCES db_servers (id),
    secret_enc TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX tenant_databases_server ON tenant_databases (server_id);

CREATE TABLE hostnames (
    hostname   TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    created_at TEXT NOT NULL
);

CREATE TABLE platform_admins (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE system_config (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE schema_versions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    service    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, service)
);
