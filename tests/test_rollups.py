"""The Tablero's rollups stay equal to the aggregates of the items after every kind of write,
all-or-nothing with the write itself; ``check`` finds any difference, ``rebuild`` and
``compact`` keep the sums. (Every test using the ``db`` fixture also checks at its end.)"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from escala import demo, rollups
from escala.analytics import Analytics, Filters
from escala.store import Store
from escala.domain import ContactDraft, ResponsibleMode, Status, ValidationError
from escala.imports import import_contacts, import_items
from tests.conftest import activity, task

ROOT = Path(__file__).resolve().parents[1]


def totals(db) -> list[tuple]:
    """Per rollup: its row count, then each measure's sum over every key."""
    return [db.query_one(f"SELECT count(*), {', '.join(f'sum({m})' for m in r.measure_names)} "  # sql-ok
                         f"FROM {rollups.source(r.name)} s") for r in rollups.DEFINITIONS]


def pending_and_done(db) -> tuple[int, int]:
    """All items counted on their due day in the team rollup: (pending, done)."""
    pending = " + ".join(f"pending_{k}" for k in rollups.TYPES.values())
    done = " + ".join(f"done_{k}" for k in rollups.TYPES.values())
    return db.query_one(f"SELECT sum({pending}), sum({done}) FROM {rollups.source('rollup_team')} s "  # sql-ok
                        "WHERE basis = 0")


@pytest.fixture
def items(store, world):
    """A few items of each kind on both sellers' contacts (SOON made for their days)."""
    with store.db.transaction() as cursor:
        rollups.refresh_soon(cursor, date(2026, 3, 5))
    ana = [store.create_item(world.ana, activity(world.ana_contact, opportunity_id=world.ana_opportunity)).id,
           store.create_item(world.ana, task(world.ana_contact)).id,
           store.create_item(world.ana, task(world.ana_contact, status=Status.DONE)).id]
    bruno = [store.create_item(world.bruno, task(world.bruno_contact, opportunity_id=world.bruno_opportunity)).id]
    assert rollups.check(store.db) == []
    return ana, bruno


def _grouped_in_sql(dims: tuple[str, ...], zone: str, selector: str, ops) -> str:
    """The items matching ``selector`` summed per key in SQL, every measure side by side: the
    oracle for ``rollups.contribution``, which counts a form's few items in Python."""
    listed = ", ".join(f"t.{dim}" for dim in dims)
    sums = ", ".join(f"{m.sql}::{rollups.MEASURE_TYPE} AS {m.name}" for m in rollups.MEASURES)
    return (f"SELECT {listed}, {sums} FROM ({rollups._narrow(dims, zone, selector, ops=ops)}) t "  # sql-ok: ours
            f"GROUP BY {listed}")


def test_create_edit_complete_reopen_and_delete_keep_the_rollups_exact(store, world, items):
    ana, _ = items
    store.update_item(world.ana, ana[0], activity(world.ana_contact, activity_type="Reunión", name="Otra"))
    assert rollups.check(store.db) == []
    store.complete_item(world.ana, ana[1])
    store.reopen_item(world.ana, ana[2])
    assert rollups.check(store.db) == []
    store.set_status(world.ana, ana, Status.DONE)  # bulk, some already done
    assert rollups.check(store.db) == []
    store.delete_item(world.ana, ana[0])
    assert rollups.check(store.db) == []


def test_reassigning_items_and_a_contacts_owner_keep_the_rollups_exact(store, world, items):
    ana, bruno = items
    store.reassign_items(world.ana, ana, str(ResponsibleMode.USER), world.bruno.id)
    assert rollups.check(store.db) == []
    store.reassign_contact(world.admin, world.ana_contact, world.bruno.id)  # owner-mode items follow
    assert rollups.check(store.db) == []
    store.update_contact(world.admin, world.bruno_contact, ContactDraft("Cliente de Bruno", owner_id=world.ana.id))
    assert rollups.check(store.db) == []
    store.delete_contact(world.admin, world.bruno_contact)
    assert rollups.check(store.db) == []


def test_a_write_refused_half_way_counts_nothing(store, world, items, monkeypatch):
    ana, _ = items
    before = totals(store.db)
    with pytest.raises(ValidationError):
        store.update_item(world.ana, ana[0], activity(world.ana_contact, name=""))
    real_audit = store._audit_each

    def audit_then_fail(*args, **kwargs):  # the rollup rows are already appended when this fails
        real_audit(*args, **kwargs)
        raise RuntimeError("disco lleno")

    monkeypatch.setattr(store, "_audit_each", audit_then_fail)
    with pytest.raises(RuntimeError):
        store.set_status(world.ana, ana, Status.DONE)
    with pytest.raises(RuntimeError):
        store.create_item(world.ana, task(world.ana_contact))
    assert totals(store.db) == before and rollups.check(store.db) == []


def test_importing_contacts_that_change_owner_moves_their_items(store, world, items, tmp_path):
    path = tmp_path / "contactos.csv"
    path.write_text("Nombre,Correo electrónico,Dueño del contacto\n"
                    f"Cliente de Ana,cliente.ana@example.com,{world.bruno.name}\n", encoding="utf-8")
    assert import_contacts(store, world.admin, path).updated == 1
    assert store.db.query_one("SELECT count(*) FROM items WHERE contact_owner_id = ?", [world.bruno.id])[0] == 4
    assert rollups.check(store.db) == []


def test_importing_items_counts_created_and_updated_rows(store, world, items, tmp_path):
    ana, _ = items
    path = tmp_path / "tareas.csv"
    path.write_text("ID,Clase,Nombre,Fecha,Contacto,Estatus\n"
                    f"{ana[1]},Tarea,Renombrada,2026-04-01T09:00:00-06:00,Cliente de Ana,Realizada\n"
                    ",Tarea,Nueva,2026-04-02T09:00:00-06:00,Cliente de Ana,Pendiente\n", encoding="utf-8")
    report = import_items(store, world.admin, "tareas", path)
    assert (report.inserted, report.updated) == (1, 1)
    assert rollups.check(store.db) == []


TEAM_KEYS = next(r.dims for r in rollups.DEFINITIONS if r.name == "rollup_team")
OWNER_KEYS = next(r.dims for r in rollups.DEFINITIONS if r.name == "rollup_owner")


def _key_is(keys) -> str:
    return " AND ".join(f"{key} = ?" for key in keys)


def test_check_names_every_key_that_differs(store, world, items):
    with store.db.transaction() as cursor:
        rollups.compact(cursor)
    first = {table: store.db.query_one(f"SELECT {', '.join(keys)} FROM {table} ORDER BY {', '.join(keys)} LIMIT 1")  # sql-ok
             for table, keys in (("rollup_team", TEAM_KEYS), ("rollup_owner", OWNER_KEYS))}
    store.db.cursor().execute(f"UPDATE rollup_team SET done_tarea = done_tarea + 1 WHERE {_key_is(TEAM_KEYS)}",  # sql-ok
                              first["rollup_team"])
    store.db.cursor().execute(f"DELETE FROM rollup_owner WHERE {_key_is(OWNER_KEYS)}", first["rollup_owner"])  # sql-ok
    problems = rollups.check(store.db)
    assert len(problems) == 2
    assert problems[0].startswith("rollup_team [basis=") and "done_tarea: " in problems[0] and "guardado" in problems[0]
    assert "pending_llamada" not in problems[0]  # only the measures that differ are named
    assert problems[1].startswith("rollup_owner [basis=")
    with store.db.transaction() as cursor:
        rollups.rebuild(cursor)
    assert rollups.check(store.db) == []


def test_compact_folds_contributions_into_one_row_per_key_with_the_same_sums(store, world, items):
    ana, _ = items
    for _ in range(3):
        store.complete_item(world.ana, ana[1])
        store.reopen_item(world.ana, ana[1])
    sums = [row[1:] for row in totals(store.db)]
    with store.db.transaction() as cursor:
        rollups.compact(cursor)
    assert [row[1:] for row in totals(store.db)] == sums and rollups.check(store.db) == []
    for rollup in rollups.DEFINITIONS:
        keys = ", ".join(rollup.dims)
        assert store.db.query_one(f"SELECT count(*) = count(DISTINCT ({keys})) FROM {rollup.name}") == (True,)  # sql-ok
    assert store.db.query_one(f"SELECT count(*) FROM {rollups.DELTA}") == (0,)  # sql-ok


def test_days_are_calendar_days_in_the_rollup_zone(store, world):
    # 23:30 in Mexico City on 5 March is 05:30 UTC on 6 March: the rollup counts it on the 5th
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 5, 23, 30)))
    days = store.db.query(f"SELECT DISTINCT basis, day FROM {rollups.DELTA} WHERE basis = 0")  # sql-ok
    assert days == [(rollups.DUE, date(2026, 3, 5))]
    with pytest.raises(ValueError):
        rollups.dimensions("America/Mexico_City'; DROP TABLE items; --")


def test_an_older_database_gets_its_rollups_built_once(db, store):
    demo.seed(db, demo.DemoSize(users=4, contacts=10, activities=30, tasks=30, seed=2, today=date(2026, 3, 2)))
    with db.transaction() as cursor:  # as before the rollups existed
        for table in (*(r.name for r in rollups.DEFINITIONS), rollups.DELTA):
            cursor.execute(f"DROP TABLE {table}")  # sql-ok
        cursor.execute("DELETE FROM meta WHERE key = ?", [rollups.VERSION_KEY])
    assert rollups.ensure(db) is True and rollups.ensure(db) is False
    assert rollups.check(db) == [] and sum(pending_and_done(db)) == 60


def test_the_demo_data_arrives_with_its_rollups(db):
    demo.seed(db, demo.DemoSize(users=4, contacts=10, activities=30, tasks=30, seed=2, today=date(2026, 3, 2)))
    assert rollups.check(db) == [] and sum(pending_and_done(db)) == 60


def test_cli_check_and_rebuild(tmp_path):
    path = tmp_path / "cli.duckdb"
    run = [sys.executable, "-m", "escala", "--db", str(path)]
    subprocess.run([*run, "seed-demo"], cwd=ROOT, check=True, capture_output=True)
    clean = subprocess.run([*run, "rollups", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert clean.returncode == 0 and "coinciden" in clean.stdout
    from escala.db import Database
    db = Database(path)
    with db.transaction() as cursor:
        cursor.execute("UPDATE rollup_stage SET pending_tarea = pending_tarea + 5 WHERE rowid = 0")
    db.close()
    broken = subprocess.run([*run, "rollups", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert broken.returncode == 1 and "rollup_stage [" in broken.stdout
    fixed = subprocess.run([*run, "rollups", "--rebuild"], cwd=ROOT, capture_output=True, text=True)
    assert fixed.returncode == 0
    assert subprocess.run([*run, "rollups", "--check"], cwd=ROOT, capture_output=True).returncode == 0


def test_compact_stores_the_same_items_per_person_and_period(tmp_path):
    path = tmp_path / "compact.duckdb"
    run = [sys.executable, "-m", "escala", "--db", str(path)]
    subprocess.run([*run, "seed-demo", "--activities", "300", "--tasks", "300"], cwd=ROOT, check=True,
                   capture_output=True)
    from escala.db import Database
    fingerprint = "SELECT count(*), bit_xor(hash(i)) FROM items i"
    db = Database(path)
    before = db.query_one(fingerprint)
    db.close()
    done = subprocess.run([*run, "compact"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and "reordenados" in done.stdout
    db = Database(path)
    try:
        assert db.query_one(fingerprint) == before and rollups.check(db) == []
        stored = [row[0] for row in db.query("SELECT responsible_id FROM items")]  # storage order
        assert stored == sorted(stored, key=lambda r: (r is None, r))
        indexes = db.query("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'items' ORDER BY 1")
        assert indexes == [("items_contact",), ("items_opportunity",)]
    finally:
        db.close()


def test_compact_refuses_while_the_app_holds_the_database(tmp_path):
    path = tmp_path / "held.duckdb"
    subprocess.run([sys.executable, "-m", "escala", "--db", str(path), "init"], cwd=ROOT, check=True,
                   capture_output=True)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, duckdb; held = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        refused = subprocess.run([sys.executable, "-m", "escala", "--db", str(path), "compact"], cwd=ROOT,
                                 capture_output=True, text=True)
        assert refused.returncode == 2 and "está en uso" in refused.stderr and "Detén ese proceso" in refused.stderr
    finally:
        holder.kill()
        holder.wait()


def test_the_delta_is_folded_once_it_has_grown(store, world, items):
    assert rollups.compact_if_grown(store.db) is True  # nothing folded yet: any delta has grown
    assert store.db.query_one(f"SELECT count(*) FROM {rollups.DELTA}") == (0,)  # sql-ok
    assert rollups.compact_if_grown(store.db) is False  # nothing to fold
    store.complete_item(world.ana, items[0][1])  # two delta rows beside a handful of folded ones
    assert rollups.compact_if_grown(store.db, share=10.0) is False  # small enough: left alone
    assert rollups.compact_if_grown(store.db, share=0.05) is True and rollups.check(store.db) == []


def test_fold_moves_the_delta_into_the_rollups_keeping_every_sum(store, world, items):
    ana, _ = items
    store.complete_item(world.ana, ana[1])
    store.reopen_item(world.ana, ana[0])
    sums = [row[1:] for row in totals(store.db)]
    assert rollups.fold_if_grown(store.db, rows=10**6) is False  # small enough: left alone
    assert rollups.fold_if_grown(store.db, rows=0) is True
    assert [row[1:] for row in totals(store.db)] == sums and rollups.check(store.db) == []
    assert store.db.query_one(f"SELECT count(*) FROM {rollups.DELTA}") == (0,)  # sql-ok
    for rollup in rollups.DEFINITIONS:
        if rollup.name in rollups.ONE_ROW_PER_KEY:
            keys = ", ".join(rollup.dims)
            assert store.db.query_one(f"SELECT count(*) = count(DISTINCT ({keys})) FROM {rollup.name}") == (True,)  # sql-ok


def test_the_top_opportunities_follow_what_was_written_after_the_last_fold(db):
    demo.seed(db, demo.DemoSize(users=5, contacts=30, activities=200, tasks=200, seed=4, today=date(2026, 3, 2)))
    with db.transaction() as cursor:
        rollups.compact(cursor)
    store = Store(db)
    admin, now = store.get_user(1), datetime(2026, 3, 2, 18, 0, tzinfo=UTC)

    def top(use_rollups: bool = True) -> pd.DataFrame:
        return Analytics(db, use_rollups).by_opportunity(Filters(), admin, now, admin.time_zone)

    leader = int(top()["opportunity_id"].iloc[0])
    pending = [row[0] for row in db.query("SELECT id FROM items WHERE opportunity_id = ? AND status = 'Pendiente'",
                                          [leader])]
    store.set_status(admin, pending, Status.DONE)  # the leader drops out: the 16th by folded count comes in
    after = top()
    assert leader not in set(after["opportunity_id"]) and after["opportunity_id"].nunique() == 15
    pd.testing.assert_frame_equal(after, top(use_rollups=False))
    rollups.fold_if_grown(db, rows=0)  # folded while the app runs, then more writes
    store.set_status(admin, pending, Status.PENDING)
    pd.testing.assert_frame_equal(top(), top(use_rollups=False))
    assert int(top()["opportunity_id"].iloc[0]) == leader


def test_demo_data_whose_rollups_were_never_built_get_them_when_next_opened(db, monkeypatch):
    """The demo seed builds the rollups in a second transaction (on PostgreSQL, the copy of
    the demo rows does); if that never happens (the process dies), the items are there without
    a rollup version, and opening rebuilds them."""
    real = rollups.rebuild

    def dies_over_items(cursor, zone=None):
        if cursor.execute("SELECT count(*) FROM items").fetchone()[0]:
            raise MemoryError("killed")
        real(cursor, zone)

    monkeypatch.setattr(rollups, "rebuild", dies_over_items)
    with pytest.raises(MemoryError):
        demo.seed(db, demo.DemoSize(users=4, contacts=10, activities=40, tasks=40, seed=2, today=date(2026, 3, 2)))
    assert db.query_one("SELECT count(*) FROM items") == (80,)
    assert rollups.check(db) != []  # counted nowhere yet
    monkeypatch.setattr(rollups, "rebuild", real)
    Store(db)
    assert rollups.check(db) == []


def test_rows_made_in_python_count_exactly_as_the_sql_pivot_counts_them(store, world, items):
    """Forms and bulk actions make their rollup rows in Python from the items' own columns;
    imports in SQL. Both on rows whose keys are easy to get wrong."""
    ana, bruno = items
    zone = rollups.zone_of(store.db.cursor())
    odd = [  # (due, created, completed, status, responsible, opportunity)
        (datetime(2026, 3, 6, 6, 0), datetime(2026, 3, 9, 5, 59, 59), datetime(2026, 3, 5, 12, 0), "Realizada", None, None),
        (datetime(2026, 3, 6, 5, 59, 59, 999999), datetime(2026, 3, 1), datetime(2026, 3, 6, 6, 0), "Realizada",
         world.ana.id, world.ana_opportunity),  # done late, across Mexico City's midnight
        (datetime(2026, 3, 8, 8, 0), datetime(2026, 3, 1), None, "Pendiente", world.bruno.id, world.bruno_opportunity),
    ]
    with store.db.transaction() as cursor:
        for n, (due, created, completed, status, responsible, opportunity) in enumerate(odd, start=900):
            mode = ResponsibleMode.UNASSIGNED if responsible is None else ResponsibleMode.USER
            cursor.execute("""INSERT INTO items SELECT ?, kind, name, activity_type, starts_at, ?, ?, ?,
                              contact_id, contact_owner_id, ?, description, ?, ?, completed_by, ?, created_by, updated_at
                              FROM items WHERE id = ?""",
                           [n, due, str(mode), responsible, opportunity, status, completed, created, ana[0]])
        rollups.record(cursor, "i.id >= ?", [900], 1)  # a form's few rows: made in Python (checked at the end)
    ids = [*ana, *bruno, 900, 901, 902]
    selector, params = f"i.id IN ({', '.join('?' for _ in ids)})", ids
    cursor = store.db.cursor()
    few = rollups.contribution(cursor, {1: rollups.facts(cursor, selector, params, 100)}, zone)
    sql = cursor.execute(_grouped_in_sql(tuple(rollups.dimensions("UTC")), zone, selector, store.db.operations),
                         params).fetchall()
    assert sorted(few, key=repr) == sorted(sql, key=repr) and len(few) >= 12


def test_todays_late_items_are_read_from_soon_which_check_compares_with_the_items(store, world, items):
    """SOON (made for 5 March by ``items``) holds the two tasks due 6 March 09:00, late at noon."""
    now, zone = datetime(2026, 3, 6, 18, 0, tzinfo=UTC), "America/Mexico_City"
    late = Analytics(store.db).dashboard(Filters(), world.admin, now, zone).metrics["Vencidas"]
    with store.db.transaction() as cursor:
        (taken,) = cursor.execute(f"DELETE FROM {rollups.SOON} WHERE due_at >= ?", [datetime(2026, 3, 6)]).fetchone()  # sql-ok
        cursor.execute(f"INSERT INTO {rollups.SOON} SELECT {', '.join(rollups.SOON_COLUMNS)} FROM items "  # sql-ok
                       "WHERE status = 'Realizada'")
    assert taken == 2 and Analytics(store.db).dashboard(Filters(), world.admin, now, zone).metrics["Vencidas"] == late - 2
    problems = rollups.check(store.db)
    assert sum("falta" in p for p in problems) == 2 and sum("no coincide" in p for p in problems) == 1
    with store.db.transaction() as cursor:
        rollups.refresh_soon(cursor, date(2026, 3, 5))
    assert rollups.check(store.db) == []


def test_a_new_day_makes_soon_anew_once(store, world, items):
    db = store.db
    assert rollups.refresh_soon_if_stale(db, datetime(2026, 3, 5, 12, 0, tzinfo=UTC)) is False  # made for that day
    assert rollups.refresh_soon_if_stale(db, datetime(2026, 3, 7, 12, 0, tzinfo=UTC)) is True
    assert rollups.soon_day(db.cursor()) == date(2026, 3, 7) and rollups.check(db) == []
    assert rollups.refresh_soon_if_stale(db, datetime(2026, 3, 7, 23, 0, tzinfo=UTC)) is False
