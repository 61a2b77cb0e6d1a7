"""Server mode, first step: the numbered migrations that build the DuckDB file build the same
schema on PostgreSQL (tables, columns and their types, keys, indexes, CHECK rules), from
the same files. The Tablero's rollups are derived tables made by escala/rollups.py, not by a
migration, so they are left out here."""

from __future__ import annotations

import re

import pytest

from escala import rollups
from escala.db import Database, migration_files
from escala.engines import postgresql
from tests.postgresql import migrated_schema

DERIVED = {rollup.name for rollup in rollups.DEFINITIONS} | {rollups.DELTA, rollups.SOON}

POSTGRES_COLUMNS = """
    SELECT c.table_name, c.column_name, c.is_nullable,
           CASE WHEN c.data_type = 'USER-DEFINED' THEN
                    (SELECT 'ENUM(' || string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) || ')'
                     FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
                     WHERE t.typname = c.udt_name AND t.typnamespace = c.udt_schema::regnamespace)
                WHEN c.data_type = 'character varying' THEN 'VARCHAR'
                WHEN c.data_type = 'timestamp without time zone' THEN 'TIMESTAMP'
                WHEN c.data_type = 'numeric' THEN 'DECIMAL(' || c.numeric_precision || ',' || c.numeric_scale || ')'
                ELSE upper(c.data_type) END
    FROM information_schema.columns c WHERE c.table_schema = 'schema_test'"""
DUCKDB_COLUMNS = "SELECT table_name, column_name, is_nullable, data_type FROM information_schema.columns"


@pytest.fixture(scope="module")
def migrated(postgresql_url):
    """The migration files applied to an empty PostgreSQL database through the engine's
    cursor, one transaction each, as ``Database.migrate`` applies them to a DuckDB file."""
    with postgresql.connect(postgresql_url) as connection:
        migrated_schema(connection, "schema_test")
        yield connection


@pytest.fixture(scope="module")
def duckdb_file(tmp_path_factory):
    database = Database(tmp_path_factory.mktemp("schema") / "escala.duckdb")
    database.migrate()
    yield database
    database.close()


def _kept(rows) -> set[tuple]:
    """The rows (table first) of tables a migration makes, lists made tuples."""
    return {tuple(tuple(value) if isinstance(value, list) else value for value in row)
            for row in rows if row[0] not in DERIVED}


def test_every_migration_applies_on_postgresql_and_is_recorded(migrated):
    recorded = migrated.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert recorded == [(version, name) for version, name, _ in migration_files("postgresql")]
    shared = [(version, name) for version, name, _ in migration_files()]
    assert [row for row in recorded if row[0] > 0] == shared  # the same numbered history; 000 is PostgreSQL's own


def test_postgresql_gets_the_same_tables_and_columns(migrated, duckdb_file):
    postgresql = _kept(migrated.execute(POSTGRES_COLUMNS).fetchall())
    duckdb = _kept(duckdb_file.query(DUCKDB_COLUMNS))
    assert {row[0] for row in postgresql} == {row[0] for row in duckdb}
    assert postgresql == duckdb


# migrations/postgresql/007_reading_indexes.sql: PostgreSQL reads rows, DuckDB scans columns
POSTGRESQL_ONLY = {("items", "items_pending_due", "due_at"), ("items", "items_responsible_due", "responsible_id, due_at")}


def test_postgresql_gets_the_same_keys_and_indexes_and_its_reading_indexes(migrated, duckdb_file):
    keys = _kept(migrated.execute("""
        SELECT tc.table_name, tc.constraint_type, array_agg(k.column_name::text ORDER BY k.ordinal_position)
        FROM information_schema.table_constraints tc
        JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name, table_name)
        WHERE tc.table_schema = 'schema_test' AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE')
        GROUP BY 1, 2, tc.constraint_name""").fetchall())
    assert keys == _kept(duckdb_file.query(
        "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
        "WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"))
    indexes = {(table, name, re.search(r"USING \w+ \((.*?)\)(?: WHERE|$)", definition).group(1)) for table, name, definition in _kept(
        migrated.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'schema_test' "
                         "AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'").fetchall())}
    assert indexes == {(table, name, expressions.strip("[]")) for table, name, expressions in _kept(
        duckdb_file.query("SELECT table_name, index_name, expressions FROM duckdb_indexes()"))} | POSTGRESQL_ONLY
    checks = _kept(migrated.execute("""
        SELECT t.relname, count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE c.contype = 'c' AND t.relnamespace = 'schema_test'::regnamespace GROUP BY 1""").fetchall())
    assert checks == _kept(duckdb_file.query(
        "SELECT table_name, count(*) FROM duckdb_constraints() WHERE constraint_type = 'CHECK' GROUP BY 1"))


ITEM = ("INSERT INTO items (id, kind, name, activity_type, starts_at, due_at, responsible_mode, contact_id, "
        "status, completed_at, created_at, updated_at) VALUES ({}, 'Tarea', 'Llamar', NULL, TIMESTAMP '2026-03-02 15:00', "
        "TIMESTAMP '2026-03-02 15:00', 'No asignar', 1, {}, {}, TIMESTAMP '2026-03-01 10:00', "
        "TIMESTAMP '2026-03-01 10:00')")


@pytest.mark.parametrize("item_id, status, completed_at, accepted", [
    (1, "'Pendiente'", "NULL", True),
    (2, "'Realizada'", "TIMESTAMP '2026-03-02 16:00'", True),
    (3, "'Realizada'", "NULL", False),  # done without the moment it was done
    (4, "'Pendiente'", "TIMESTAMP '2026-03-02 16:00'", False),
    (5, "'Vencida'", "NULL", False),  # Vencida is derived at read time, never stored
])
def test_both_engines_accept_and_refuse_the_same_rows(migrated, duckdb_file, item_id, status, completed_at, accepted):
    sql = ITEM.format(item_id, status, completed_at)
    assert _outcomes(migrated, duckdb_file, sql) == [accepted, accepted]


def test_both_engines_refuse_a_second_item_with_the_same_id(migrated, duckdb_file):
    sql = ITEM.format(6, "'Pendiente'", "NULL")
    assert _outcomes(migrated, duckdb_file, sql) == [True, True]
    assert _outcomes(migrated, duckdb_file, sql) == [False, False]


def _outcomes(postgresql_connection, duckdb_database, sql: str) -> list[bool]:
    """Whether each engine (PostgreSQL, then DuckDB) took the statement."""
    import duckdb
    import psycopg
    outcomes = []
    try:
        with postgresql_connection.transaction():
            postgresql_connection.execute(sql)
        outcomes.append(True)
    except psycopg.Error:
        outcomes.append(False)
    try:
        with duckdb_database.transaction() as cursor:
            cursor.execute(sql)
        outcomes.append(True)
    except duckdb.Error:
        outcomes.append(False)
    return outcomes
