-- The Tablero's rollups become wide (every type × Estatus count in one row) and are made by
-- escala/rollups.py from its definitions (derived data: `rollups.ensure` rebuilds them).
DROP TABLE IF EXISTS rollup_due;
DROP TABLE IF EXISTS rollup_due_team;
DROP TABLE IF EXISTS rollup_delta;
DELETE FROM meta WHERE key = 'rollups_version';
-- the items behind the Tablero's top opportunities are read by opportunity
CREATE INDEX items_opportunity ON items (opportunity_id);
