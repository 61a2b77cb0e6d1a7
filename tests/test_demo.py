"""Demo data: deterministic, believable, valid, and fast to generate."""

from __future__ import annotations

from datetime import date

import pytest

from escala import auth, demo
from escala.db import Database
from escala.store import Store

TODAY = date(2026, 3, 2)
SMALL = demo.DemoSize(users=6, contacts=80, activities=600, tasks=400, seed=7, today=TODAY)


def seeded(path, size=SMALL) -> Database:
    db = Database(path)
    db.migrate()
    demo.seed(db, size)
    return db


def fingerprint(db: Database) -> list:
    """Every generated row, hashed; password hashes differ by design (random salt)."""
    tables = ("(SELECT * EXCLUDE (password_hash) FROM users)", "companies", "contacts", "opportunities", "items")
    return [db.query_one(f"SELECT count(*), sum(hash(t)) FROM {table} t") for table in tables]  # sql-ok: fixed


def test_same_seed_and_day_give_the_same_database(tmp_path):
    assert fingerprint(seeded(tmp_path / "a.duckdb")) == fingerprint(seeded(tmp_path / "b.duckdb"))
    other = seeded(tmp_path / "c.duckdb", demo.DemoSize(6, 80, None, 600, 400, seed=8, today=TODAY))
    assert fingerprint(other) != fingerprint(seeded(tmp_path / "d.duckdb"))


def test_demo_data_is_valid_and_marked_as_demo(tmp_path):
    db = seeded(tmp_path / "v.duckdb")
    store = Store(db)
    assert store.is_demo() and not store.is_empty()
    assert store.integrity_problems() == []
    assert db.query("SELECT kind, count(*) FROM items GROUP BY ALL ORDER BY 1") == [("Actividad", 600), ("Tarea", 400)]
    # new writes continue after the generated ids
    admin = store.get_user(1)
    from escala.domain import ContactDraft
    assert store.create_contact(admin, ContactDraft("Nuevo")).id == 81


def test_demo_work_has_a_believable_spread(tmp_path):
    db = seeded(tmp_path / "s.duckdb", demo.DemoSize(contacts=300, activities=3000, tasks=3000, today=TODAY))
    noon = "TIMESTAMP '2026-03-02 12:00'"
    (overdue, past_done, future_pending, modes, with_opportunity, types) = db.query_one(f"""
        SELECT count(*) FILTER (status = 'Pendiente' AND due_at < {noon}) / count(*) FILTER (due_at < {noon}),
               count(*) FILTER (status = 'Realizada' AND due_at < {noon}) / count(*) FILTER (due_at < {noon}),
               count(*) FILTER (status = 'Pendiente' AND due_at >= {noon}) / count(*) FILTER (due_at >= {noon}),
               count(DISTINCT responsible_mode), count(opportunity_id) / count(*), count(DISTINCT activity_type)
        FROM items""")  # sql-ok: constant
    assert 0.02 < overdue < 0.12 and past_done > 0.85 and future_pending > 0.9
    assert modes == 3 and 0.4 < with_opportunity < 0.7 and types == 5


def test_demo_accounts_sign_in_with_the_demo_password(tmp_path):
    store = Store(seeded(tmp_path / "p.duckdb"))
    for email in ("admin@escala.demo", "analista@escala.demo", "vendedor1@escala.demo"):
        assert auth.sign_in(store, email, demo.DEMO_PASSWORD).user is not None


def test_seeding_refuses_a_database_with_data(tmp_path):
    db = seeded(tmp_path / "r.duckdb")
    with pytest.raises(ValueError, match="ya tiene datos"):
        demo.seed(db, SMALL)
