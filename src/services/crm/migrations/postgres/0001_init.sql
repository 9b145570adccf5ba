-- crm service, PostgreSQL dialect: one schema per service in the tenant database.
CREATE SCHEMA crm;
CREATE TABLE crm.customers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    phone      TEXT,
    website    TEXT,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_name ON crm.customers (name);
CREATE INDEX customers_owner ON crm.customers (owner_id);
CREATE INDEX customers_created ON crm.customers (created_at, id);

CREATE TABLE crm.contacts (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES crm.customers (id) ON DELETE SET NULL,
    first_name  TEXT NOT NULL,
    last_name   TEXT,
    email       TEXT,
    phone       TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX contacts_customer ON crm.contacts (customer_id);
CREATE INDEX contacts_owner ON crm.contacts (owner_id);

CREATE TABLE crm.leads (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    company    TEXT,
    source     TEXT,
    status     TEXT NOT NULL DEFAULT 'new',
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX leads_status ON crm.leads (status);
CREATE INDEX leads_owner ON crm.leads (owner_id);

CREATE TABLE crm.deals (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES crm.customers (id) ON DELETE SET NULL,
    title       TEXT NOT NULL,
    amount      BIGINT NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL DEFAULT 'EUR',
    stage       TEXT NOT NULL DEFAULT 'new',
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX deals_customer ON crm.deals (customer_id);
CREATE INDEX deals_stage ON crm.deals (stage);
CREATE INDEX deals_owner ON crm.deals (owner_id);
