-- The services summary's tenant count (issue 10 §4), kept as tenants
-- enable and disable services instead of counted per request: a trigger
-- on tenant_services moves service_stats.tenants by one, in the statement
-- that changes the row, so the count can never drift from the rows.
ALTER TABLE service_stats ADD COLUMN tenants BIGINT NOT NULL DEFAULT 0;

INSERT INTO service_stats (service, tenants)
SELECT service, count(*) FROM tenant_services WHERE enabled = 1 GROUP BY service
ON CONFLICT (service) DO UPDATE SET tenants = excluded.tenants;

CREATE FUNCTION td_tenant_services_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d BIGINT := 0;
    s TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        s := NEW.service;
        d := CASE WHEN NEW.enabled = 1 THEN 1 ELSE 0 END;
    ELSIF TG_OP = 'DELETE' THEN
        s := OLD.service;
        d := CASE WHEN OLD.enabled = 1 THEN -1 ELSE 0 END;
    ELSE
        s := NEW.service;
        d := (CASE WHEN NEW.enabled = 1 THEN 1 ELSE 0 END)
           - (CASE WHEN OLD.enabled = 1 THEN 1 ELSE 0 END);
    END IF;
    IF d <> 0 THEN
        INSERT INTO service_stats (service, tenants) VALUES (s, d)
        ON CONFLICT (service) DO UPDATE SET tenants = service_stats.tenants + excluded.tenants;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tenant_services_count AFTER INSERT OR UPDATE OF enabled OR DELETE
ON tenant_services FOR EACH ROW EXECUTE FUNCTION td_tenant_services_count();
