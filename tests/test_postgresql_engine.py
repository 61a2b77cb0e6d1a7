"""The PostgreSQL cursor runs the store's SQL text unchanged (``?`` placeholders) and returns
what DuckDB returns for the same statement and values."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from escala import rollups
from escala.db import Database
from escala.engines import operations_of, postgresql
from escala.meta import set_meta
from tests.postgresql import migrated_schema


@pytest.mark.parametrize("sql, translated", [
    ("SELECT ? + ?", "SELECT %s + %s"),
    ("SELECT '?' , ?", "SELECT '?' , %s"),  # a literal question mark stays
    ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', %s"),  # '' inside a literal
    ('SELECT 1 AS "¿qué?", ?', 'SELECT 1 AS "¿qué?", %s'),  # an identifier
    ("SELECT strftime(x, '%Y') WHERE y LIKE '%a%' AND z = ?", "SELECT strftime(x, '%%Y') WHERE y LIKE '%%a%%' AND z = %s"),
    ("SELECT ? -- why? 100%\nFROM t", "SELECT %s -- why? 100%%\nFROM t"),
])
def test_placeholders_become_psycopgs_outside_quoted_text(sql, translated):
    assert postgresql.translate(sql) == translated


@pytest.fixture
def both(postgresql_url, tmp_path):
    """The same migrated schema on a DuckDB file and in a fresh PostgreSQL schema."""
    duck = Database(tmp_path / "escala.duckdb")
    duck.migrate()
    with postgresql.connect(postgresql_url) as connection:
        yield duck.cursor(), migrated_schema(connection, f"engine_{tmp_path.name.replace('-', '_').lower()}")
    duck.close()


WRITES = [
    ("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
     [7, "Ana Pérez", "ana@example.com", "seller", True, "America/Mexico_City", None, datetime(2026, 3, 2, 15, 0, 0, 123456),
      False, 60]),
    ("INSERT INTO opportunities VALUES (?, ?, ?, ?, ?, ?)",
     [3, "Licencias 100%", 1, "Propuesta", Decimal("1234.50"), datetime(2026, 3, 1, 9, 30)]),
    ("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)",
     [1, datetime(2026, 3, 2, 15, 0), 7, "create", "item", 9, '{"name": "¿Llamar?"}']),
]
READS = [
    ("SELECT * FROM users WHERE id = ? AND role = ?", [7, "seller"]),
    ("SELECT name, stage, amount, created_at FROM opportunities WHERE name LIKE '%100%' AND id = ?", [3]),
    ("SELECT changes, occurred_at FROM audit_log WHERE action = ?", ["create"]),
    ("SELECT count(*) FROM users WHERE name = '¿Ana?' OR id IN (?, ?)", [7, 8]),
    ("SELECT ?::TIMESTAMP, ?::VARCHAR, ?::INTEGER IS NULL", [datetime(2026, 11, 1, 1, 30), "x", None]),
]


def test_the_same_statements_give_the_same_values_on_both_engines(both):
    duck, pg = both
    for sql, params in WRITES:
        duck.execute(sql, params)
        pg.execute(sql, params)
    for sql, params in READS:
        assert pg.execute(sql, params).fetchall() == duck.execute(sql, params).fetchall(), sql


def test_frames_read_alike_on_both_engines(both):
    duck, pg = both
    for sql, params in WRITES[:2]:
        duck.execute(sql, params)
        pg.execute(sql, params)
    sql = "SELECT id, name, amount FROM opportunities WHERE id = ?"
    assert pg.execute(sql, [3]).df().astype(object).equals(duck.execute(sql, [3]).df().astype(object))


def test_meta_facts_are_replaced_alike_on_both_engines(both):
    for cursor in both:
        set_meta(cursor, {"demo": "true", "rollup_zone": "America/Mexico_City"})
        set_meta(cursor, {"rollup_zone": "Europe/Madrid", "demo_seed": "7"})
    duck, pg = both
    sql = "SELECT key, value FROM meta WHERE key IN ('demo', 'demo_seed', 'rollup_zone') ORDER BY key"
    assert pg.execute(sql).fetchall() == duck.execute(sql).fetchall() == [
        ("demo", "true"), ("demo_seed", "7"), ("rollup_zone", "Europe/Madrid")]


def _items(count: int = 60) -> list[list]:
    """Items whose rollup keys are easy to get wrong: local midnights (23:30 in Mexico City is
    the next UTC day), done before created, no responsible, owner or opportunity."""
    rows, start = [], datetime(2026, 3, 5, 5, 30)
    for k in range(count):
        due = start + timedelta(hours=7 * k)
        activity, done = k % 2 == 1, k % 3 == 0
        created = due - timedelta(days=2, hours=k)
        completed = (due + timedelta(hours=30 - 3 * k)) if done else None
        rows.append([k + 1, "Actividad" if activity else "Tarea", f"Elemento {k}", "Reunión" if activity else None,
                     due, due + timedelta(hours=1) if activity else due,
                     "Un usuario específico" if k % 5 else "No asignar", (1 + k % 3) if k % 5 else None,
                     2, 7 if k % 4 else None, 3 if k % 6 else None, "Realizada" if done else "Pendiente",
                     completed, created, created])
    return rows


ITEM_INSERT = ("INSERT INTO items (id, kind, name, activity_type, starts_at, due_at, responsible_mode, responsible_id, "
               "contact_id, contact_owner_id, opportunity_id, status, completed_at, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


@contextmanager
def _ended_after_use(cursor):
    """What ``rollups.check`` asks of a database: a cursor of its own (here the schema's), its
    transaction ended after use."""
    try:
        yield cursor
    finally:
        cursor.execute("ROLLBACK")


@pytest.mark.parametrize("count", [0, 60])
def test_the_rollups_are_built_alike_on_both_engines(both, count):
    for cursor in both:
        cursor.execute("INSERT INTO opportunities VALUES (3, 'Licencias', 2, 'Propuesta', 10, ?)", [datetime(2026, 1, 1)])
        for row in _items(count):
            cursor.execute(ITEM_INSERT, row)
        cursor.execute("BEGIN")
        rollups.rebuild(cursor, "America/Mexico_City")
        cursor.execute("COMMIT")
    duck, pg = both
    for rollup in rollups.DEFINITIONS:
        sql = f"SELECT * FROM {rollup.name} ORDER BY {', '.join(rollup.dims)}"  # sql-ok: our names
        rows = duck.execute(sql).fetchall()
        assert pg.execute(sql).fetchall() == rows, rollup.name
        assert (len(rows) > 0) == (count > 0)
    sql = f"SELECT * FROM {rollups.SOON} ORDER BY id"  # sql-ok: our name
    assert pg.execute(sql).fetchall() == duck.execute(sql).fetchall()
    assert rollups.check(SimpleNamespace(own_cursor=lambda: _ended_after_use(pg))) == []
    sql = "SELECT value FROM meta WHERE key = ?"
    assert pg.execute(sql, [rollups.ZONE_KEY]).fetchall() == duck.execute(sql, [rollups.ZONE_KEY]).fetchall()
    # the version says what they were built from: the same definitions, and PostgreSQL's indexes
    for cursor in both:
        assert cursor.execute(sql, [rollups.VERSION_KEY]).fetchone() == (
            rollups._version("America/Mexico_City", operations_of(cursor)),)
    assert pg.execute(sql, [rollups.VERSION_KEY]).fetchone() != duck.execute(sql, [rollups.VERSION_KEY]).fetchone()


def test_postgresql_indexes_every_rollup_and_soon_on_their_readers_order_after_a_rebuild_and_a_compaction(both):
    _, pg = both
    indexed = ("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
               "AND (tablename LIKE 'rollup%' OR tablename = 'due_soon') ORDER BY tablename")
    expected = sorted([(r.name, f"({', '.join(r.order)})") for r in rollups.DEFINITIONS]
                      + [(rollups.SOON, f"({', '.join(rollups.SOON_ORDER)})")])
    for step in (rollups.rebuild, rollups.compact, lambda cursor: rollups.refresh_soon(cursor, date(2026, 3, 2))):
        pg.execute("BEGIN")
        step(pg)
        pg.execute("COMMIT")
        assert [(table, definition[definition.index("("):]) for table, definition in pg.execute(indexed).fetchall()] \
            == expected, step.__name__
