-- The services summary's tenant count (issue 10 §4), kept as tenants
-- enable and disable services instead of counted per request: a trigger
-- on tenant_services moves service_stats.tenants by one, in the statement
-- that changes the row, so the count can never drift from the rows.
ALTER TABLE service_stats ADD COLUMN tenants BIGINT NOT NULL DEFAULT 0;

INSERT INTO service_stats (service, tenants)
SELECT service, count(*) FROM tenant_services WHERE enabled = 1 GROUP BY service
ON CONFLICT (service) DO UPDATE SET tenants = excluded.tenants;

CREATE TRIGGER tenant_services_count_insert AFTER INSERT ON tenant_services
WHEN NEW.enabled = 1
BEGIN
    INSERT INTO service_stats (service, tenants) VALUES (NEW.service, 1)
    ON CONFLICT (service) DO UPDATE SET tenants = service_stats.tenants + 1;
END;

CREATE TRIGGER tenant_services_count_update AFTER UPDATE OF enabled ON tenant_services
WHEN NEW.enabled <> OLD.enabled
BEGIN
    INSERT INTO service_stats (service, tenants)
    VALUES (NEW.service, CASE WHEN NEW.enabled = 1 THEN 1 ELSE -1 END)
    ON CONFLICT (service) DO UPDATE SET tenants = service_stats.tenants + excluded.tenants;
END;

CREATE TRIGGER tenant_services_count_delete AFTER DELETE ON tenant_services
WHEN OLD.enabled = 1
BEGIN
    UPDATE service_stats SET tenants = tenants - 1 WHERE service = OLD.service;
END;
