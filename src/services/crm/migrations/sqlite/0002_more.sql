-- crm service, SQLite dialect, 0002: pipelines, interactions, tasks, notes; new columns on deals and leads; indexes for the declared filters and sorts.
CREATE TABLE pipelines (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    stages     TEXT,
    is_default SMALLINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX pipelines_name ON pipelines (name);
CREATE INDEX pipelines_is_default ON pipelines (is_default);
CREATE INDEX pipelines_created ON pipelines (created_at, id);

ALTER TABLE deals ADD COLUMN pipeline_id TEXT REFERENCES pipelines (id) ON DELETE SET NULL;
ALTER TABLE deals ADD COLUMN closed_at TEXT;
CREATE INDEX deals_pipeline ON deals (pipeline_id);
CREATE INDEX deals_title ON deals (title);
CREATE INDEX deals_amount ON deals (amount);
CREATE INDEX deals_closed ON deals (closed_at);
CREATE INDEX deals_created ON deals (created_at, id);

ALTER TABLE leads ADD COLUMN phone TEXT;
ALTER TABLE leads ADD COLUMN converted_customer_id TEXT;
ALTER TABLE leads ADD COLUMN converted_deal_id TEXT;
CREATE INDEX leads_name ON leads (name);
CREATE INDEX leads_email ON leads (email);
CREATE INDEX leads_source ON leads (source);
CREATE INDEX leads_created ON leads (created_at, id);

CREATE INDEX customers_email ON customers (email);

CREATE INDEX contacts_first_name ON contacts (first_name);
CREATE INDEX contacts_last_name ON contacts (last_name);
CREATE INDEX contacts_email ON contacts (email);
CREATE INDEX contacts_created ON contacts (created_at, id);

CREATE TABLE interactions (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES customers (id) ON DELETE SET NULL,
    contact_id  TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    deal_id     TEXT REFERENCES deals (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    occurred_at TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX interactions_customer ON interactions (customer_id);
CREATE INDEX interactions_contact ON interactions (contact_id);
CREATE INDEX interactions_deal ON interactions (deal_id);
CREATE INDEX interactions_kind ON interactions (kind);
CREATE INDEX interactions_occurred ON interactions (occurred_at);
CREATE INDEX interactions_owner ON interactions (owner_id);
CREATE INDEX interactions_created ON interactions (created_at, id);

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open',
    priority    TEXT NOT NULL DEFAULT 'normal',
    due_at      TEXT,
    customer_id TEXT REFERENCES customers (id) ON DELETE SET NULL,
    deal_id     TEXT REFERENCES deals (id) ON DELETE SET NULL,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX tasks_title ON tasks (title);
CREATE INDEX tasks_status ON tasks (status);
CREATE INDEX tasks_priority ON tasks (priority);
CREATE INDEX tasks_due ON tasks (due_at);
CREATE INDEX tasks_customer ON tasks (customer_id);
CREATE INDEX tasks_deal ON tasks (deal_id);
CREATE INDEX tasks_owner ON tasks (owner_id);
CREATE INDEX tasks_created ON tasks (created_at, id);

CREATE TABLE notes (
    id          TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    customer_id TEXT REFERENCES customers (id) ON DELETE SET NULL,
    deal_id     TEXT REFERENCES deals (id) ON DELETE SET NULL,
    contact_id  TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX notes_customer ON notes (customer_id);
CREATE INDEX notes_deal ON notes (deal_id);
CREATE INDEX notes_contact ON notes (contact_id);
CREATE INDEX notes_owner ON notes (owner_id);
CREATE INDEX notes_created ON notes (created_at, id);
