-- Rollups of items for the Tablero. The tables this file first created are derived data and
-- are now made by escala/rollups.py from its definitions (see 006); on databases that applied
-- the earlier version of this file, 006 drops them.
SELECT 1;
