"""``python -m escala migrate --from --to``: a team's data moves between a DuckDB file and a
PostgreSQL database, whole, checked, and only into an empty target."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from escala import cli, demo, rollups
from escala.db import open_database
from escala.store import Store
from tests.conftest import activity, make_user
from tests.postgresql import create_database

TODAY = date(2026, 3, 2)


def _team_file(path) -> None:
    """Demo data plus what people add by hand: an item created and completed (audit rows), a
    session, a sign-in attempt, JSON with accents and quotes."""
    db = open_database(path)
    db.migrate()
    demo.seed(db, demo.DemoSize(users=5, contacts=30, activities=200, tasks=150, seed=3, today=TODAY))
    store = Store(db, clock=lambda: datetime(2026, 3, 2, 15, 0).astimezone())
    seller = store.get_user(1)  # the administrator: every contact is theirs to write to
    item = store.create_item(seller, activity(1, name='Reunión "anual" — 100% ¿lista?', description="línea 1\nlínea 2"))
    store.complete_item(seller, item.id)
    store.create_session(seller.id, datetime(2026, 3, 2, 15, 0))
    make_user(store, "Nueva Persona", "nueva@example.com", "seller")
    db.close()


def _export(location, out) -> bytes:
    flag = "--database-url" if str(location).startswith("postgresql://") else "--db"
    assert cli.main([flag, str(location), "export", "todo", "--out", str(out), "--as", "admin@escala.demo"]) == 0
    return out.read_bytes()


def _indexes(db) -> list[tuple]:
    return db.query("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "ORDER BY 1, 2")


def test_a_round_trip_through_postgresql_gives_byte_identical_exports(tmp_path, postgresql_url, capsys):
    source, back = tmp_path / "source.duckdb", tmp_path / "back.duckdb"
    _team_file(source)
    server = create_database(postgresql_url)
    assert cli.main(["migrate", "--from", str(source), "--to", server]) == 0
    assert cli.main(["migrate", "--from", server, "--to", str(back)]) == 0
    assert "comprobados" in capsys.readouterr().out
    before = _export(source, tmp_path / "before.csv")
    assert b'Reuni\xc3\xb3n ""anual""' in before and before.count(b"\n") > 350
    assert _export(back, tmp_path / "after.csv") == before
    assert cli.main(["--database-url", server, "rollups", "--check"]) == 0
    copy = open_database(server)
    try:
        assert rollups.check(copy) == [] and Store(copy).integrity_problems() == []
        assert copy.query_one("SELECT count(*) FROM audit_log")[0] > 0
        assert copy.query_one("SELECT count(*) FROM sessions")[0] == 1
        # the indexes dropped for the copy are all back, as the migrations made them
        empty = open_database(create_database(postgresql_url))
        try:
            empty.migrate()
            assert _indexes(copy) == _indexes(empty) and ("items", "items_pending_due") in {
                (table, name) for table, name, _ in _indexes(copy)}
        finally:
            empty.close()
        # ids go on where the source stopped
        store = Store(copy)
        assert store.create_item(store.get_user(1), activity(1)).id == 352
    finally:
        copy.close()


def test_a_target_with_data_is_refused_and_left_as_it_was(tmp_path, postgresql_url, capsys):
    source = tmp_path / "source.duckdb"
    _team_file(source)
    server = create_database(postgresql_url)
    assert cli.main(["migrate", "--from", str(source), "--to", server]) == 0
    capsys.readouterr()
    assert cli.main(["migrate", "--from", str(source), "--to", server]) == 2
    assert "ya tiene datos" in capsys.readouterr().err
    copy = open_database(server)
    try:
        assert copy.query_one("SELECT count(*) FROM items")[0] == 351
    finally:
        copy.close()


@pytest.mark.parametrize("args, words", [
    (["migrate", "--from", "x.duckdb", "--to", "x.duckdb"], "la misma base"),
    (["--database-url", "mysql://nadie", "users"], "postgresql://"),
])
def test_bad_locations_get_one_spanish_line(tmp_path, monkeypatch, capsys, args, words):
    monkeypatch.chdir(tmp_path)
    assert cli.main(args) == 2
    assert words in capsys.readouterr().err


def test_an_unreachable_server_is_one_spanish_line(tmp_path, capsys):
    url = "postgresql://escala@127.0.0.1:9/nada"  # port 9 (discard): nothing listens
    assert cli.main(["--database-url", url, "users"]) == 2
    assert "No se puede conectar a la base de datos" in capsys.readouterr().err
