-- crm service, PostgreSQL dialect, 0002: pipelines, interactions, tasks, notes; new columns on deals and leads; indexes for the declared filters and sorts.
CREATE TABLE crm.pipelines (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    stages     TEXT,
    is_default SMALLINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX pipelines_name ON crm.pipelines (name);
CREATE INDEX pipelines_is_default ON crm.pipelines (is_default);
CREATE INDEX pipelines_created ON crm.pipelines (created_at, id);

ALTER TABLE crm.deals ADD COLUMN pipeline_id TEXT REFERENCES crm.pipelines (id) ON DELETE SET NULL;
ALTER TABLE crm.deals ADD COLUMN closed_at TEXT;
CREATE INDEX deals_pipeline ON crm.deals (pipeline_id);
CREATE INDEX deals_title ON crm.deals (title);
CREATE INDEX deals_amount ON crm.deals (amount);
CREATE INDEX deals_closed ON crm.deals (closed_at);
CREATE INDEX deals_created ON crm.deals (created_at, id);

ALTER TABLE crm.leads ADD COLUMN phone TEXT;
ALTER TABLE crm.leads ADD COLUMN converted_customer_id TEXT;
ALTER TABLE crm.leads ADD COLUMN converted_deal_id TEXT;
CREATE INDEX leads_name ON crm.leads (name);
CREATE INDEX leads_email ON crm.leads (email);
CREATE INDEX leads_source ON crm.leads (source);
CREATE INDEX leads_created ON crm.leads (created_at, id);

CREATE INDEX customers_email ON crm.customers (email);

CREATE INDEX contacts_first_name ON crm.contacts (first_name);
CREATE INDEX contacts_last_name ON crm.contacts (last_name);
CREATE INDEX contacts_email ON crm.contacts (email);
CREATE INDEX contacts_created ON crm.contacts (created_at, id);

CREATE TABLE crm.interactions (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES crm.customers (id) ON DELETE SET NULL,
    contact_id  TEXT REFERENCES crm.contacts (id) ON DELETE SET NULL,
    deal_id     TEXT REFERENCES crm.deals (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    occurred_at TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX interactions_customer ON crm.interactions (customer_id);
CREATE INDEX interactions_contact ON crm.interactions (contact_id);
CREATE INDEX interactions_deal ON crm.interactions (deal_id);
CREATE INDEX interactions_kind ON crm.interactions (kind);
CREATE INDEX interactions_occurred ON crm.interactions (occurred_at);
CREATE INDEX interactions_owner ON crm.interactions (owner_id);
CREATE INDEX interactions_created ON crm.interactions (created_at, id);

CREATE TABLE crm.tasks (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open',
    priority    TEXT NOT NULL DEFAULT 'normal',
    due_at      TEXT,
    customer_id TEXT REFERENCES crm.customers (id) ON DELETE SET NULL,
    deal_id     TEXT REFERENCES crm.deals (id) ON DELETE SET NULL,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX tasks_title ON crm.tasks (title);
CREATE INDEX tasks_status ON crm.tasks (status);
CREATE INDEX tasks_priority ON crm.tasks (priority);
CREATE INDEX tasks_due ON crm.tasks (due_at);
CREATE INDEX tasks_customer ON crm.tasks (customer_id);
CREATE INDEX tasks_deal ON crm.tasks (deal_id);
CREATE INDEX tasks_owner ON crm.tasks (owner_id);
CREATE INDEX tasks_created ON crm.tasks (created_at, id);

CREATE TABLE crm.notes (
    id          TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    customer_id TEXT REFERENCES crm.customers (id) ON DELETE SET NULL,
    deal_id     TEXT REFERENCES crm.deals (id) ON DELETE SET NULL,
    contact_id  TEXT REFERENCES crm.contacts (id) ON DELETE SET NULL,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX notes_customer ON crm.notes (customer_id);
CREATE INDEX notes_deal ON crm.notes (deal_id);
CREATE INDEX notes_contact ON crm.notes (contact_id);
CREATE INDEX notes_owner ON crm.notes (owner_id);
CREATE INDEX notes_created ON crm.notes (created_at, id);
