-- cms service, PostgreSQL dialect, 0001: content types, content items, media (bytes kept in media_content), pages.
CREATE SCHEMA cms;
CREATE TABLE cms.content_types (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    fields      TEXT NOT NULL,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX content_types_name ON cms.content_types (name);
CREATE INDEX content_types_owner ON cms.content_types (owner_id);
CREATE INDEX content_types_created ON cms.content_types (created_at, id);

CREATE TABLE cms.content_items (
    id              TEXT PRIMARY KEY,
    content_type_id TEXT NOT NULL REFERENCES cms.content_types (id),
    title           TEXT NOT NULL,
    slug            TEXT,
    data            TEXT,
    status          TEXT NOT NULL DEFAULT 'draft',
    published_at    TEXT,
    owner_id        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX content_items_type ON cms.content_items (content_type_id);
CREATE INDEX content_items_title ON cms.content_items (title);
CREATE INDEX content_items_slug ON cms.content_items (slug);
CREATE INDEX content_items_status ON cms.content_items (status);
CREATE INDEX content_items_published ON cms.content_items (published_at);
CREATE INDEX content_items_owner ON cms.content_items (owner_id);
CREATE INDEX content_items_created ON cms.content_items (created_at, id);

CREATE TABLE cms.media (
    id           TEXT PRIMARY KEY,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL DEFAULT 0,
    sha256       TEXT,
    alt          TEXT,
    status       TEXT NOT NULL DEFAULT 'pending',
    owner_id     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX media_filename ON cms.media (filename);
CREATE INDEX media_mime ON cms.media (content_type);
CREATE INDEX media_size ON cms.media (size);
CREATE INDEX media_sha256 ON cms.media (sha256);
CREATE INDEX media_status ON cms.media (status);
CREATE INDEX media_owner ON cms.media (owner_id);
CREATE INDEX media_created ON cms.media (created_at, id);

-- Not a resource: PostgreSQL keeps media bytes here; SQLite keeps them as files.
CREATE TABLE cms.media_content (
    media_id TEXT PRIMARY KEY REFERENCES cms.media (id) ON DELETE CASCADE,
    bytes    BYTEA NOT NULL
);

CREATE TABLE cms.pages (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    slug         TEXT NOT NULL,
    body         TEXT,
    status       TEXT NOT NULL DEFAULT 'draft',
    published_at TEXT,
    owner_id     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX pages_slug ON cms.pages (slug);
CREATE INDEX pages_title ON cms.pages (title);
CREATE INDEX pages_status ON cms.pages (status);
CREATE INDEX pages_published ON cms.pages (published_at);
CREATE INDEX pages_owner ON cms.pages (owner_id);
CREATE INDEX pages_created ON cms.pages (created_at, id);
