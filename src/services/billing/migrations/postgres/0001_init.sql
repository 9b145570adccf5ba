-- billing service, PostgreSQL dialect, 0001: subscriptions, invoices, invoice lines, usage records, payments (written by the platform, read by the tenant).
CREATE SCHEMA billing;
CREATE TABLE billing.subscriptions (
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
CREATE INDEX subscriptions_plan ON billing.subscriptions (plan);
CREATE INDEX subscriptions_status ON billing.subscriptions (status);
CREATE INDEX subscriptions_period_end ON billing.subscriptions (current_period_end);
CREATE INDEX subscriptions_owner ON billing.subscriptions (owner_id);
CREATE INDEX subscriptions_created ON billing.subscriptions (created_at, id);

CREATE TABLE billing.invoices (
    id              TEXT PRIMARY KEY,
    number          TEXT NOT NULL,
    subscription_id TEXT REFERENCES billing.subscriptions (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'draft',
    currency        TEXT NOT NULL DEFAULT 'EUR',
    total           BIGINT NOT NULL DEFAULT 0,
    issued_at       TEXT,
    due_at          TEXT,
    owner_id        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX invoices_number ON billing.invoices (number);
CREATE INDEX invoices_subscription ON billing.invoices (subscription_id);
CREATE INDEX invoices_status ON billing.invoices (status);
CREATE INDEX invoices_total ON billing.invoices (total);
CREATE INDEX invoices_issued ON billing.invoices (issued_at);
CREATE INDEX invoices_due ON billing.invoices (due_at);
CREATE INDEX invoices_owner ON billing.invoices (owner_id);
CREATE INDEX invoices_created ON billing.invoices (created_at, id);

CREATE TABLE billing.invoice_lines (
    id          TEXT PRIMARY KEY,
    invoice_id  TEXT NOT NULL REFERENCES billing.invoices (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    quantity    BIGINT NOT NULL DEFAULT 1,
    unit_amount BIGINT NOT NULL DEFAULT 0,
    amount      BIGINT NOT NULL DEFAULT 0,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX invoice_lines_invoice ON billing.invoice_lines (invoice_id);
CREATE INDEX invoice_lines_amount ON billing.invoice_lines (amount);
CREATE INDEX invoice_lines_owner ON billing.invoice_lines (owner_id);
CREATE INDEX invoice_lines_created ON billing.invoice_lines (created_at, id);

CREATE TABLE billing.usage_records (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT REFERENCES billing.subscriptions (id) ON DELETE SET NULL,
    metric          TEXT NOT NULL,
    quantity        DOUBLE PRECISION NOT NULL,
    recorded_at     TEXT NOT NULL,
    owner_id        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX usage_records_subscription ON billing.usage_records (subscription_id, recorded_at);
CREATE INDEX usage_records_metric ON billing.usage_records (metric, recorded_at);
CREATE INDEX usage_records_recorded ON billing.usage_records (recorded_at);
CREATE INDEX usage_records_owner ON billing.usage_records (owner_id);
CREATE INDEX usage_records_created ON billing.usage_records (created_at, id);

CREATE TABLE billing.payments (
    id         TEXT PRIMARY KEY,
    invoice_id TEXT REFERENCES billing.invoices (id) ON DELETE SET NULL,
    amount     BIGINT NOT NULL,
    currency   TEXT NOT NULL DEFAULT 'EUR',
    method     TEXT NOT NULL DEFAULT 'card',
    status     TEXT NOT NULL DEFAULT 'pending',
    paid_at    TEXT,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX payments_invoice ON billing.payments (invoice_id);
CREATE INDEX payments_amount ON billing.payments (amount);
CREATE INDEX payments_method ON billing.payments (method);
CREATE INDEX payments_status ON billing.payments (status);
CREATE INDEX payments_paid ON billing.payments (paid_at);
CREATE INDEX payments_owner ON billing.payments (owner_id);
CREATE INDEX payments_created ON billing.payments (created_at, id);
