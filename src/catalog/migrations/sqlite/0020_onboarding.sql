-- Onboarding (issue 13 part 5): the steps a tenant's admin took after
-- sign-up, one row per step taken (no row: pending). detail is what the
-- step keeps, as JSON (the database's kind and its move's job, the
-- profile, the payment provider and the hint of its key); secret_enc the
-- payment keys sealed with the tenant's data key (never shown). The
-- credits step is read from the tenant's paid checkouts, the store from
-- the tenant itself. Removed with the tenant.
CREATE TABLE onboarding_steps (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    step       TEXT NOT NULL CHECK (step IN ('database','payments','credits','profile')),
    status     TEXT NOT NULL CHECK (status IN ('done','skipped','in_progress')),
    detail     TEXT,
    secret_enc TEXT,
    updated_by TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, step)
);
