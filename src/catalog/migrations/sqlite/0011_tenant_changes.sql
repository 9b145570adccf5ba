-- A counter of changes to tenants and their services (issue 11): the
-- tenant cache of each process keeps rows for as long as this counter
-- stays where it was, and reads it (one row) at most once a second,
-- instead of reading every tenant's row again every second. Triggers move
-- it in the statement that changes the rows, so no writer can forget.
CREATE TABLE tenant_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    gen BIGINT NOT NULL
);
INSERT INTO tenant_changes (id, gen) VALUES (1, 0);

CREATE TRIGGER tenants_changed_insert AFTER INSERT ON tenants
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER tenants_changed_update AFTER UPDATE ON tenants
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER tenants_changed_delete AFTER DELETE ON tenants
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_services_changed_insert AFTER INSERT ON tenant_services
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_services_changed_update AFTER UPDATE ON tenant_services
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER tenant_services_changed_delete AFTER DELETE ON tenant_services
BEGIN UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1; END;
