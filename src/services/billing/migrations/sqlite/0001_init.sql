-- billing service, SQLite dialect, 0001: subscriptions, invoices, invoice lines, usage records, payments (written by the platform, read by the tenant).
CREATE TABLE subscriptions (
    id                   TEXT PRIMARY KEY,
    plan                 TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'active',
    quantity             BIGINT NOT NULL DEFAULT 1,
    current_period_start TEXT,
    current_period_end   TEXT,
    canceled_at          TEXT,
    owner_id             TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX subscriptions_plan ON subscriptions (plan);
CREATE INDEX subscriptions_status ON subscriptions (status);
CREATE INDEX subscriptions_period_end ON subscriptions (current_period_end);
CREATE INDEX subscriptions_owner ON subscriptions (owner_id);
CREATE INDEX subscriptions_created ON subscriptions (created_at, id);

CREATE TABLE invoices (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL,
    subscription_id TEXT REFERENCES subscriptions (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'draft',
    currency        TEXT NOT NULL DEFAULT 'EUR',
    total           BIGINT NOT NULL DEFAULT 0,
    issued_at       TEXT,
    due_at          TEXT,
    owner_id        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX invoices_number ON invoices (number);
CREATE INDEX invoices_subscription ON invoices (subscription_id);
CREATE INDEX invoices_status ON invoices (status);
CREATE INDEX invoices_total ON invoices (total);
CREATE INDEX invoices_issued ON invoices (issued_at);
CREATE INDEX invoices_due ON invoices (due_at);
CREATE INDEX invoices_owner ON invoices (owner_id);
CREATE INDEX invoices_created ON invoices (created_at, id);

CREATE TABLE invoice_lines (
    id          TEXT PRIMARY KEY,
    invoice_id  TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    quantity    BIGINT NOT NULL DEFAULT 1,
    unit_amount BIGINT NOT NULL DEFAULT 0,
    amount      BIGINT NOT NULL DEFAULT 0,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);
CREATE INDEX invoice_lines_amount ON invoice_lines (amount);
CREATE INDEX invoice_lines_owner ON invoice_lines (owner_id);
CREATE INDEX invoice_lines_created ON invoice_lines (created_at, id);

CREATE TABLE usage_records (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT REFERENCES subscriptions (id) ON DELETE SET NULL,
    metric          TEXT NOT NULL,
    quantity        REAL NOT NULL,
    recorded_at     TEXT NOT NULL,
    owner_id        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX usage_records_subscription ON usage_records (subscription_id, recorded_at);
CREATE INDEX usage_records_metric ON usage_records (metric, recorded_at);
CREATE INDEX usage_records_recorded ON usage_records (recorded_at);
CREATE INDEX usage_records_owner ON usage_records (owner_id);
CREATE INDEX usage_records_created ON usage_records (created_at, id);

CREATE TABLE payments (
    id         TEXT PRIMARY KEY,
    invoice_id TEXT REFERENCES invoices (id) ON DELETE SET NULL,
    amount     BIGINT NOT NULL,
    currency   TEXT NOT NULL DEFAULT 'EUR',
    method     TEXT NOT NULL DEFAULT 'card',
    status     TEXT NOT NULL DEFAULT 'pending',
    paid_at    TEXT,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX payments_invoice ON payments (invoice_id);
CREATE INDEX payments_amount ON payments (amount);
CREATE INDEX payments_method ON payments (method);
CREATE INDEX payments_status ON payments (status);
CREATE INDEX payments_paid ON payments (paid_at);
CREATE INDEX payments_owner ON payments (owner_id);
CREATE INDEX payments_created ON payments (created_at, id);
