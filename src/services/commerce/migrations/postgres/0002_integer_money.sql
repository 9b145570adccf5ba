-- commerce service, PostgreSQL dialect, 0002: money is integer minor units (cents), never floating point. Prices, unit prices and order totals were DOUBLE PRECISION amounts in units: each becomes BIGINT holding hundredths, rounded.
ALTER TABLE commerce.products ALTER COLUMN price TYPE BIGINT USING round(price * 100)::BIGINT;
ALTER TABLE commerce.order_items ALTER COLUMN unit_price TYPE BIGINT USING round(unit_price * 100)::BIGINT;
ALTER TABLE commerce.orders ALTER COLUMN total DROP DEFAULT;
ALTER TABLE commerce.orders ALTER COLUMN total TYPE BIGINT USING round(total * 100)::BIGINT;
ALTER TABLE commerce.orders ALTER COLUMN total SET DEFAULT 0;
