-- crm service, SQLite dialect: one file per service, attached as "crm".
CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    phone      TEXT,
    website    TEXT,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_name ON customers (name);
CREATE INDEX customers_owner ON customers (owner_id);
CREATE INDEX customers_created ON customers (created_at, id);

CREATE TABLE contacts (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES customers (id) ON DELETE SET NULL,
    first_name  TEXT NOT NULL,
    last_name   TEXT,
    email       TEXT,
    phone       TEXT,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);
CREATE INDEX contacts_owner ON contacts (owner_id);

CREATE TABLE leads (
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
CREATE INDEX leads_status ON leads (status);
CREATE INDEX leads_owner ON leads (owner_id);

CREATE TABLE deals (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES customers (id) ON DELETE SET NULL,
    title       TEXT NOT NULL,
    amount      BIGINT NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL DEFAULT 'EUR',
    stage       TEXT NOT NULL DEFAULT 'new',
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX deals_customer ON deals (customer_id);
CREATE INDEX deals_stage ON deals (stage);
CREATE INDEX deals_owner ON deals (owner_id);
