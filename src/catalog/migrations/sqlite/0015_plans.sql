-- Plans and subscriptions (issue 13 part 2). A plan is a price per period
-- (integer minor units: 2900 USD per month is $29.00) and limits; a NULL
-- limit is unlimited. services is NULL (every service) or a JSON array of
-- the service names the plan allows. tenants.plan keeps the tenant's
-- current plan code (other parts join it to plans.code); subscriptions
-- holds its status and period, subscription_changes every change with the
-- proration it works out (recorded, never charged).
CREATE TABLE plans (
    code                  TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    price_amount          BIGINT NOT NULL DEFAULT 0,
    currency              TEXT NOT NULL DEFAULT 'USD',
    period                TEXT NOT NULL DEFAULT 'month' CHECK (period IN ('month','year')),
    max_users             BIGINT,
    max_api_keys          BIGINT,
    requests_per_minute   BIGINT,
    storage_bytes         BIGINT,
    services              TEXT,
    max_rows_per_resource BIGINT,
    included_credits      INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
INSERT INTO plans (code, name, price_amount, currency, period, max_users, max_api_keys,
                   requests_per_minute, storage_bytes, services, max_rows_per_resource,
                   included_credits, created_at, updated_at)
VALUES
    ('free', 'Free', 0, 'USD', 'month', 25, 25, 600, 1073741824, NULL, NULL, 100,
     strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('pro', 'Pro', 2900, 'USD', 'month', 100, 100, 6000, 21474836480, NULL, NULL, 5000,
     strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('business', 'Business', 29900, 'USD', 'month', NULL, NULL, 60000, 214748364800, NULL,
     NULL, 50000, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- tenants made before plans existed held free text: they go on free
UPDATE tenants SET plan = 'free' WHERE plan IS NULL OR plan NOT IN (SELECT code FROM plans);

CREATE TABLE subscriptions (
    tenant_id            TEXT PRIMARY KEY REFERENCES tenants (id),
    plan                 TEXT NOT NULL,
    status               TEXT NOT NULL
                         CHECK (status IN ('trialing','active','past_due','cancelled')),
    current_period_start TEXT NOT NULL,
    current_period_end   TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
INSERT INTO subscriptions (tenant_id, plan, status, current_period_start, current_period_end,
                           created_at, updated_at)
SELECT id, plan, CASE WHEN status = 'deleted' THEN 'cancelled' ELSE 'active' END,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 month'),
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM tenants;

CREATE TABLE subscription_changes (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    from_plan        TEXT,
    to_plan          TEXT NOT NULL,
    from_status      TEXT,
    to_status        TEXT NOT NULL,
    proration_amount BIGINT NOT NULL DEFAULT 0,
    currency         TEXT NOT NULL,
    actor_kind       TEXT NOT NULL,
    actor_id         TEXT,
    at               TEXT NOT NULL
);
CREATE INDEX subscription_changes_tenant ON subscription_changes (tenant_id, at, id);

-- a plan's limits are part of every cached tenant on it: a change moves
-- the counter the tenant caches watch (0011)
CREATE TRIGGER plans_changed_insert AFTER INSERT ON plans
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER plans_changed_update AFTER UPDATE ON plans
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER plans_changed_delete AFTER DELETE ON plans
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
