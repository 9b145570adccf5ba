-- Tenant moves in progress (issue 12 part 3, tenantd tenant move): one row
-- per tenant while its data is copied to another place, so a move killed
-- at any point resumes with the same target. The target placement is
-- written into tenant_databases only at the switch; state says whether
-- that happened ('copying' before, 'switched' after: the old place, kept
-- in the from_* columns, is then removed and the row deleted).
CREATE TABLE tenant_moves (
    tenant_id       TEXT PRIMARY KEY REFERENCES tenants (id),
    state           TEXT NOT NULL CHECK (state IN ('copying','switched')),
    backend         TEXT NOT NULL,
    server_id       TEXT REFERENCES db_servers (id),
    secret_enc      TEXT,
    from_backend    TEXT NOT NULL,
    from_server_id  TEXT REFERENCES db_servers (id),
    from_secret_enc TEXT,
    started_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
