"""Demo data: deterministic, believable, valid, and fast to generate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from escala import auth, demo
from escala.analytics import Filters
from escala.export import Exporter
from escala.db import BaseDatabase, open_database
from escala.store import Store
from tests.postgresql import create_database

TODAY = date(2026, 3, 2)
SMALL = demo.DemoSize(users=6, contacts=80, activities=600, tasks=400, seed=7, today=TODAY)


def seeded(location, size=SMALL) -> BaseDatabase:
    db = open_database(location)
    db.migrate()
    demo.seed(db, size)
    return db


GENERATED = {"users": "id, name, email, role, active, time_zone, created_at",  # not password_hash: salted
             "companies": "*", "contacts": "*", "opportunities": "*", "items": "*"}


def fingerprint(db: BaseDatabase) -> dict:
    """Every generated row, as Python values, by table and id; password hashes differ by
    design (random salt)."""
    return {table: db.query(f"SELECT {columns} FROM {table} ORDER BY id") for table, columns in GENERATED.items()}  # sql-ok


def test_same_seed_and_day_give_the_same_database(new_location):
    assert fingerprint(seeded(new_location("a"))) == fingerprint(seeded(new_location("b")))
    other = seeded(new_location("c"), demo.DemoSize(6, 80, None, 600, 400, seed=8, today=TODAY))
    assert fingerprint(other) != fingerprint(seeded(new_location("d")))


def test_the_same_seed_gives_the_same_rows_on_duckdb_and_postgresql(tmp_path, postgresql_url):
    duck = seeded(tmp_path / "demo.duckdb")
    server = seeded(create_database(postgresql_url))
    try:
        found, expected = fingerprint(server), fingerprint(duck)
        assert len(found["items"]) == 1000 and found == expected
        assert demo.DEMO_PASSWORD and auth.sign_in(Store(server), "vendedor1@escala.demo", demo.DEMO_PASSWORD).user
        exports = []
        for n, db in enumerate((duck, server)):  # `export todo` of each, row for row and byte for byte
            exports.append(tmp_path / f"todo-{n}.csv")
            Exporter(db).write(exports[-1], Filters(), db_admin(db), NOW, "America/Mexico_City")
        assert exports[0].read_bytes() == exports[1].read_bytes() and exports[0].read_bytes().count(b"\n") == 1001
    finally:
        duck.close()
        server.close()


NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # no stamp in an export comes from the clock but this one


def db_admin(db: BaseDatabase):
    return Store(db).get_user(1)


def test_demo_data_is_valid_and_marked_as_demo(new_location):
    db = seeded(new_location())
    store = Store(db)
    assert store.is_demo() and not store.is_empty()
    assert store.integrity_problems() == []
    assert db.query("SELECT kind, count(*) FROM items GROUP BY 1 ORDER BY 1") == [("Actividad", 600), ("Tarea", 400)]
    # new writes continue after the generated ids
    admin = store.get_user(1)
    from escala.domain import ContactDraft
    assert store.create_contact(admin, ContactDraft("Nuevo")).id == 81


def test_demo_work_has_a_believable_spread(new_location):
    db = seeded(new_location(), demo.DemoSize(contacts=300, activities=3000, tasks=3000, today=TODAY))
    noon = "TIMESTAMP '2026-03-02 12:00'"
    (overdue, past_done, future_pending, modes, with_opportunity, types) = db.query_one(f"""
        SELECT 1.0 * count(*) FILTER (WHERE status = 'Pendiente' AND due_at < {noon}) / count(*) FILTER (WHERE due_at < {noon}),
               1.0 * count(*) FILTER (WHERE status = 'Realizada' AND due_at < {noon}) / count(*) FILTER (WHERE due_at < {noon}),
               1.0 * count(*) FILTER (WHERE status = 'Pendiente' AND due_at >= {noon}) / count(*) FILTER (WHERE due_at >= {noon}),
               count(DISTINCT responsible_mode), 1.0 * count(opportunity_id) / count(*), count(DISTINCT activity_type)
        FROM items""")  # sql-ok: constant
    assert 0.02 < overdue < 0.12 and past_done > 0.85 and future_pending > 0.9
    assert modes == 3 and 0.4 < with_opportunity < 0.7 and types == 5


def test_demo_accounts_sign_in_with_the_demo_password(new_location):
    store = Store(seeded(new_location()))
    for email in ("admin@escala.demo", "analista@escala.demo", "vendedor1@escala.demo"):
        assert auth.sign_in(store, email, demo.DEMO_PASSWORD).user is not None


def test_seeding_refuses_a_database_with_data(new_location):
    db = seeded(new_location())
    with pytest.raises(ValueError, match="ya tiene datos"):
        demo.seed(db, SMALL)
