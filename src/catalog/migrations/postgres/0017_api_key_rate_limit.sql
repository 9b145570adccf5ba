-- An API key's own rate limit (requests per minute; NULL = only the
-- tenant's), applied besides the tenant's plan limit (docs/api.md).
ALTER TABLE api_keys ADD COLUMN rate_limit_rpm INTEGER;
