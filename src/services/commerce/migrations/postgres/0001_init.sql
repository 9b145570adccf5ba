-- commerce service, PostgreSQL dialect, 0001: products, customers, orders, order items, inventory.
CREATE SCHEMA commerce;
CREATE TABLE commerce.products (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    sku         TEXT NOT NULL,
    price       DOUBLE PRECISION NOT NULL,
    currency    TEXT NOT NULL DEFAULT 'EUR',
    description TEXT,
    active      SMALLINT NOT NULL DEFAULT 1,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX products_sku ON commerce.products (sku);
CREATE INDEX products_name ON commerce.products (name);
CREATE INDEX products_price ON commerce.products (price);
CREATE INDEX products_active ON commerce.products (active);
CREATE INDEX products_owner ON commerce.products (owner_id);
CREATE INDEX products_created ON commerce.products (created_at, id);

CREATE TABLE commerce.customers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_name ON commerce.customers (name);
CREATE INDEX customers_email ON commerce.customers (email);
CREATE INDEX customers_owner ON commerce.customers (owner_id);
CREATE INDEX customers_created ON commerce.customers (created_at, id);

CREATE TABLE commerce.orders (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES commerce.customers (id) ON DELETE SET NULL,
    status      TEXT NOT NULL DEFAULT 'placed',
    total       DOUBLE PRECISION NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL DEFAULT 'EUR',
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX orders_customer ON commerce.orders (customer_id);
CREATE INDEX orders_status ON commerce.orders (status);
CREATE INDEX orders_total ON commerce.orders (total);
CREATE INDEX orders_owner ON commerce.orders (owner_id);
CREATE INDEX orders_created ON commerce.orders (created_at, id);

CREATE TABLE commerce.order_items (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES commerce.orders (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES commerce.products (id),
    quantity   BIGINT NOT NULL,
    unit_price DOUBLE PRECISION NOT NULL,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX order_items_order ON commerce.order_items (order_id);
CREATE INDEX order_items_product ON commerce.order_items (product_id);
CREATE INDEX order_items_owner ON commerce.order_items (owner_id);
CREATE INDEX order_items_created ON commerce.order_items (created_at, id);

CREATE TABLE commerce.inventory (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES commerce.products (id) ON DELETE CASCADE,
    quantity   BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX inventory_product ON commerce.inventory (product_id);
CREATE INDEX inventory_quantity ON commerce.inventory (quantity);
CREATE INDEX inventory_created ON commerce.inventory (created_at, id);
