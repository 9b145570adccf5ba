-- commerce service, SQLite dialect, 0002: money is integer minor units (cents), never floating point. Prices, unit prices and order totals were REAL amounts in units: each becomes a BIGINT column holding hundredths, rounded (SQLite cannot change a column's type: a new column takes the values, the old one goes, the new one takes its name).
DROP INDEX products_price;
ALTER TABLE products ADD COLUMN price_minor BIGINT NOT NULL DEFAULT 0;
UPDATE products SET price_minor = CAST(ROUND(price * 100) AS INTEGER);
ALTER TABLE products DROP COLUMN price;
ALTER TABLE products RENAME COLUMN price_minor TO price;
CREATE INDEX products_price ON products (price);

ALTER TABLE order_items ADD COLUMN unit_price_minor BIGINT NOT NULL DEFAULT 0;
UPDATE order_items SET unit_price_minor = CAST(ROUND(unit_price * 100) AS INTEGER);
ALTER TABLE order_items DROP COLUMN unit_price;
ALTER TABLE order_items RENAME COLUMN unit_price_minor TO unit_price;

DROP INDEX orders_total;
ALTER TABLE orders ADD COLUMN total_minor BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET total_minor = CAST(ROUND(total * 100) AS INTEGER);
ALTER TABLE orders DROP COLUMN total;
ALTER TABLE orders RENAME COLUMN total_minor TO total;
CREATE INDEX orders_total ON orders (total);
