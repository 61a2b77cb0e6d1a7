-- Repeating activities and tasks (escala/recurrence.py). A series keeps its rule and what each
-- new occurrence copies; every occurrence is an ordinary item (the Tablero counts real items),
-- linked to its series and numbered from 1 in `occurrences`. The store creates occurrence n + 1
-- when occurrence n (the newest) is done or deleted, or when its time passes (`due_check_at`).
CREATE TABLE recurrences (
    id BIGINT PRIMARY KEY,
    rule VARCHAR NOT NULL,            -- RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10
    first_at TIMESTAMP NOT NULL,      -- occurrence 1's wall-clock time in time_zone (DTSTART)
    time_zone VARCHAR NOT NULL,
    contact_id INTEGER NOT NULL,
    template JSON NOT NULL,           -- name, type, length, responsible, opportunity, description
    last_number INTEGER NOT NULL,     -- the newest occurrence created
    due_check_at TIMESTAMP,           -- the newest occurrence's time (UTC); NULL once the series ended
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER
);

CREATE TABLE occurrences (
    item_id BIGINT PRIMARY KEY,
    recurrence_id BIGINT NOT NULL,
    number INTEGER NOT NULL CHECK (number >= 1),
    UNIQUE (recurrence_id, number)
);

INSERT INTO id_counters VALUES ('recurrences', 0);
