-- Rollups of items for the Tablero (escala/rollups.py): signed contributions, summed per key.
-- No keys or indexes: writes only append to rollup_delta; `compact` folds it into each rollup.
-- `python -m escala` fills them from existing items on first use (rollups.ensure).
CREATE TABLE rollup_due (
    day DATE NOT NULL,
    responsible_id INTEGER NOT NULL,
    owner_id INTEGER NOT NULL,
    type VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    n BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    done_days BIGINT NOT NULL
);
CREATE TABLE rollup_due_team (
    day DATE NOT NULL,
    responsible_id INTEGER NOT NULL,
    type VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    n BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    done_days BIGINT NOT NULL
);
-- writes append here, at rollup_due's grain; `compact` folds it into the tables above
CREATE TABLE rollup_delta AS SELECT * FROM rollup_due LIMIT 0;
