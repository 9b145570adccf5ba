-- The audit anchors' contents (issue 10). An anchor (0006 audit_anchors)
-- covers the chain heads that moved since the previous anchor: each is
-- listed here, so `tenantd audit verify` can recompute the anchor's
-- heads_hash and check every listed head against audit_log.
CREATE TABLE audit_anchor_heads (
    anchor_seq BIGINT NOT NULL,
    tenant_id  TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (anchor_seq, tenant_id)
);

-- How far each chain is anchored: a head with seq > anchored_seq moved
-- since the last anchor (the next anchor covers it). The anchors' own
-- chain head is the audit_heads row of tenant_id '#anchors' (no tenant id
-- starts with '#').
ALTER TABLE audit_heads ADD COLUMN anchored_seq BIGINT NOT NULL DEFAULT 0;

-- The service summary counts the tenants using each service.
CREATE INDEX tenant_services_service ON tenant_services (service, enabled);
