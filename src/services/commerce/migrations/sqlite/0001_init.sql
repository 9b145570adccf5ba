-- commerce service, SQLite dialect, 0001: products, customers, orders, order items, inventory.
CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    sku         TEXT NOT NULL,
    price       REAL NOT NULL,
    currency    TEXT NOT NULL DEFAULT 'EUR',
    description TEXT,
    active      SMALLINT NOT NULL DEFAULT 1,
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX products_sku ON products (sku);
CREATE INDEX products_name ON products (name);
CREATE INDEX products_price ON products (price);
CREATE INDEX products_active ON products (active);
CREATE INDEX products_owner ON products (owner_id);
CREATE INDEX products_created ON products (created_at, id);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_name ON customers (name);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_owner ON customers (owner_id);
CREATE INDEX customers_created ON customers (created_at, id);

CREATE TABLE orders (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES customers (id) ON DELETE SET NULL,
    status      TEXT NOT NULL DEFAULT 'placed',
    total       REAL NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL DEFAULT 'EUR',
    owner_id    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_status ON orders (status);
CREATE INDEX orders_total ON orders (total);
CREATE INDEX orders_owner ON orders (owner_id);
CREATE INDEX orders_created ON orders (created_at, id);

CREATE TABLE order_items (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products (id),
    quantity   BIGINT NOT NULL,
    unit_price REAL NOT NULL,
    owner_id   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX order_items_order ON order_items (order_id);
CREATE INDEX order_items_product ON order_items (product_id);
CREATE INDEX order_items_owner ON order_items (owner_id);
CREATE INDEX order_items_created ON order_items (created_at, id);

CREATE TABLE inventory (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity   BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX inventory_product ON inventory (product_id);
CREATE INDEX inventory_quantity ON inventory (quantity);
CREATE INDEX inventory_created ON inventory (created_at, id);
