-- Credits (issue 13 part 3, SPEC §8; docs/payments.md). credit_balances is
-- the truth, one row per tenant; a spend is one conditional UPDATE
-- (… WHERE balance >= n) in the same transaction as its ledger row, so a
-- balance never goes below zero (the CHECK says so too). credit_transactions
-- is the ledger: every change with its delta, reason, reference, the
-- idempotency key that made it (unique per tenant: a retried change can
-- never apply twice), the actor and the balance after it. Times are
-- RFC 3339 text like the other catalog tables.
CREATE TABLE credit_balances (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
    balance    BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at TEXT NOT NULL
);
CREATE TABLE credit_transactions (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    delta           BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    reference       TEXT,
    idempotency_key TEXT,
    actor_kind      TEXT NOT NULL,
    actor_id        TEXT,
    balance_after   BIGINT NOT NULL CHECK (balance_after >= 0),
    at              TEXT NOT NULL
);
CREATE INDEX credit_transactions_tenant ON credit_transactions (tenant_id, id);
CREATE UNIQUE INDEX credit_transactions_key ON credit_transactions (tenant_id, idempotency_key);

-- The price of a metered action: credits per per_units units, rounded up
-- per charge (action "analytics.events" at 1 per 1000: a batch of 1 to
-- 1000 events costs 1). An action without a row is free.
CREATE TABLE service_credit_costs (
    action      TEXT PRIMARY KEY,
    credits     BIGINT NOT NULL CHECK (credits >= 0),
    per_units   BIGINT NOT NULL DEFAULT 1 CHECK (per_units > 0),
    description TEXT,
    updated_at  TEXT NOT NULL
);

-- Idempotency keys (ops/idempotency.c): the first answer to a mutation
-- made with an Idempotency-Key, replayed to every repeat with the same key
-- and the same request (request_hash: BLAKE2b of method, path and body);
-- status 0 while the first request runs. scope is what keys are unique in
-- (the tenant the request is about, or "platform"). A row older than 24
-- hours (created_at, unix ms) is expired: its key may be used again.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

-- Purchases through a payment provider (manual: an invoice a superadmin
-- marks paid; test: a simulated card checkout; real providers plug in):
-- pending until paid (credits granted in the same transaction, the ledger
-- row's reference is the checkout id) or failed.
CREATE TABLE credit_checkouts (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    provider       TEXT NOT NULL,
    credits        BIGINT NOT NULL CHECK (credits > 0),
    status         TEXT NOT NULL CHECK (status IN ('pending','paid','failed')),
    error          TEXT,
    transaction_id TEXT,
    created_by     TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX credit_checkouts_tenant ON credit_checkouts (tenant_id, id);

-- A tenant's webhook secret for a real provider, sealed with the tenant's
-- data key (purpose payment-webhook): never shown, never logged.
CREATE TABLE payment_provider_secrets (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    provider   TEXT NOT NULL,
    secret_enc TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, provider)
);

-- Included monthly credits: a schedule that grants each tenant its plan's
-- included_credits once per month (credits.monthly; the ledger key
-- included:YYYY-MM makes it idempotent). First run: next month's first day.
INSERT INTO cron_jobs (name, schedule, kind, payload, enabled, next_run, created_at, updated_at)
VALUES ('credits.monthly', '0 0 1 * *', 'credits.monthly', '{}', 1,
        CAST(strftime('%s', 'now', 'start of month', '+1 month') AS INTEGER) * 1000,
        CAST(strftime('%s', 'now') AS INTEGER) * 1000,
        CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (name) DO NOTHING;
