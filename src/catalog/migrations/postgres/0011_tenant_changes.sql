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

CREATE FUNCTION td_tenants_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenant_changes SET gen = gen + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_changed AFTER INSERT OR UPDATE OR DELETE
ON tenants FOR EACH STATEMENT EXECUTE FUNCTION td_tenants_changed();
CREATE TRIGGER tenant_services_changed AFTER INSERT OR UPDATE OR DELETE
ON tenant_services FOR EACH STATEMENT EXECUTE FUNCTION td_tenants_changed();
