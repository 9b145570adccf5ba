-- cms service, SQLite dialect, 0001: content types, content items, media (bytes kept as files; media_content unused here), pages.
CREATE TABLE content_types (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    fields      TEXT NOT NULL,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX content_types_name ON content_types (name);
CREATE INDEX content_types_owner ON content_types (owner_id);
CREATE INDEX content_types_created ON content_types (created_at, id);

CREATE TABLE content_items (
    id              TEXT PRIMARY KEY,
    content_type_id TEXT NOT NULL REFERENCES content_types (id),
    title           TEXT NOT NULL,
    slug            TEXT,
    data            TEXT,
    status          TEXT NOT NULL DEFAULT 'draft',
    published_at    TEXT,
    owner_id        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX content_items_type ON content_items (content_type_id);
CREATE INDEX content_items_title ON content_items (title);
CREATE INDEX content_items_slug ON content_items (slug);
CREATE INDEX content_items_status ON content_items (status);
CREATE INDEX content_items_published ON content_items (published_at);
CREATE INDEX content_items_owner ON content_items (owner_id);
CREATE INDEX content_items_created ON content_items (created_at, id);

CREATE TABLE media (
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
CREATE INDEX media_filename ON media (filename);
CREATE INDEX media_mime ON media (content_type);
CREATE INDEX media_size ON media (size);
CREATE INDEX media_sha256 ON media (sha256);
CREATE INDEX media_status ON media (status);
CREATE INDEX media_owner ON media (owner_id);
CREATE INDEX media_created ON media (created_at, id);

-- Not a resource: PostgreSQL keeps media bytes here; SQLite keeps them as files.
CREATE TABLE media_content (
    media_id TEXT PRIMARY KEY REFERENCES media (id) ON DELETE CASCADE,
    bytes    BLOB NOT NULL
);

CREATE TABLE pages (
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
CREATE UNIQUE INDEX pages_slug ON pages (slug);
CREATE INDEX pages_title ON pages (title);
CREATE INDEX pages_status ON pages (status);
CREATE INDEX pages_published ON pages (published_at);
CREATE INDEX pages_owner ON pages (owner_id);
CREATE INDEX pages_created ON pages (created_at, id);
