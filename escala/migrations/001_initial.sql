-- The initial schema. Instants are TIMESTAMP holding UTC (the store converts at the edge).
--
-- No FOREIGN KEY clauses, on purpose: DuckDB cannot delete a parent row and its children in
-- one transaction, nor update an indexed column of a referenced row, so foreign keys would
-- force non-atomic deletes. The store checks every reference inside the same write
-- transaction (under the process's single writer lock) and `Store.integrity_problems()`
-- audits them; the rules that need no other table are repeated here as CHECKs.

CREATE TYPE user_role AS ENUM ('admin', 'seller', 'analyst');
CREATE TYPE item_kind AS ENUM ('Actividad', 'Tarea');
CREATE TYPE activity_type AS ENUM ('Webinar', 'Evento', 'Llamada', 'Reunión', 'Otro');
CREATE TYPE item_status AS ENUM ('Pendiente', 'Realizada');
CREATE TYPE responsible_mode AS ENUM ('Dueño del contacto', 'Un usuario específico', 'No asignar');
CREATE TYPE opportunity_stage AS ENUM ('Prospecto', 'Calificada', 'Propuesta', 'Negociación', 'Ganada', 'Perdida');

-- Ids are handed out by the store under its writer lock; one row per table.
CREATE TABLE id_counters (
    name VARCHAR PRIMARY KEY,
    last_id BIGINT NOT NULL
);
INSERT INTO id_counters VALUES
    ('users', 0), ('companies', 0), ('contacts', 0), ('opportunities', 0), ('items', 0), ('audit_log', 0);

-- Facts about the database itself, e.g. demo = 'true' when it holds generated demo data.
CREATE TABLE meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND name = trim(name)),
    email VARCHAR NOT NULL UNIQUE CHECK (email = lower(trim(email)) AND email LIKE '%_@_%'),
    role user_role NOT NULL,
    active BOOLEAN NOT NULL DEFAULT true,
    time_zone VARCHAR NOT NULL,
    password_hash VARCHAR,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_key VARCHAR NOT NULL UNIQUE CHECK (name_key = lower(name))
);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND name = trim(name)),
    email VARCHAR CHECK (email IS NULL OR (email = lower(trim(email)) AND email LIKE '%_@_%')),
    phone VARCHAR,
    company_id INTEGER,
    owner_id INTEGER,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE opportunities (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND name = trim(name)),
    contact_id INTEGER NOT NULL,
    stage opportunity_stage NOT NULL,
    amount DECIMAL(14, 2) NOT NULL CHECK (amount >= 0),
    created_at TIMESTAMP NOT NULL
);

-- Activities and tasks share one table: most reads (agenda, dashboards, export) want both.
-- A task's Fecha is stored as starts_at = due_at.
-- responsible_id and contact_owner_id are kept current by the store: in the mode
-- 'Dueño del contacto' the responsible *is* the contact's owner, and reassigning a contact
-- rewrites both in the same transaction. Vencida is never stored: it is derived from
-- status and due_at at read time.
CREATE TABLE items (
    id BIGINT PRIMARY KEY,
    kind item_kind NOT NULL,
    name VARCHAR NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND name = trim(name)),
    activity_type activity_type,
    starts_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    responsible_mode responsible_mode NOT NULL,
    responsible_id INTEGER,
    contact_id INTEGER NOT NULL,
    contact_owner_id INTEGER,
    opportunity_id INTEGER,
    description VARCHAR NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    status item_status NOT NULL,
    completed_at TIMESTAMP,
    completed_by INTEGER,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((kind = 'Actividad') = (activity_type IS NOT NULL)),
    CHECK (due_at >= starts_at),
    CHECK (kind = 'Actividad' OR due_at = starts_at),
    CHECK ((status = 'Realizada') = (completed_at IS NOT NULL)),
    CHECK (status = 'Realizada' OR completed_by IS NULL),
    CHECK (responsible_mode <> 'No asignar' OR responsible_id IS NULL),
    CHECK (responsible_mode <> 'Un usuario específico' OR responsible_id IS NOT NULL),
    CHECK (responsible_mode <> 'Dueño del contacto' OR responsible_id IS NOT DISTINCT FROM contact_owner_id)
);
CREATE INDEX items_contact ON items (contact_id);

CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor_id INTEGER,
    action VARCHAR NOT NULL CHECK (action IN ('create', 'update', 'complete', 'reopen', 'delete')),
    entity VARCHAR NOT NULL CHECK (entity IN ('item', 'contact', 'opportunity', 'user')),
    entity_id BIGINT NOT NULL,
    changes JSON NOT NULL
);

CREATE TABLE sign_in_attempts (
    email VARCHAR NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    succeeded BOOLEAN NOT NULL
);
