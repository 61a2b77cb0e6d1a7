-- The Tablero reads the items of its partial days (today, a period's edges) by due date,
-- late ones by responsible and due date. DuckDB scans them (each row group's min and max skip
-- the rest), so it builds nothing; PostgreSQL indexes both (postgresql/007_reading_indexes.sql).
SELECT 1;
