"""Export: hostile text survives, spreadsheets stay safe, rows match the Tablero and the user's rights."""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from escala import rollups, times
from escala.analytics import Analytics, Filters
from escala.db import Database, open_database
from escala.domain import FORBIDDEN_CHARS, ContactDraft, OpportunityDraft, ResponsibleMode
from escala.export import (FORMULA_STARTS, HEADERS, CsvOptions, Exporter, OutputExists, OutputPathError,
                           check_output_path, starts_formula, unescape_cell)
from escala.store import Store
from tests.conftest import activity, make_user, task

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ZONE = "America/Mexico_City"
HOSTILE = [
    'Comillas "dobles" y \'simples\'', "coma, punto y coma; fin", "línea uno\nlínea dos\r\nlínea tres",
    "tab\taquí", "emoji 🎉👩‍💻 y acentos áéíóú ñ Ü", "עברית وعربي RTL", "=SUM(A1:A9)", "+34 600", "-1-1",
    "@cmd", "'ya con apóstrofo", "3 reuniones", "#etiqueta", "(entre paréntesis)", "x" * 200,
]


def read_csv(path: Path, sep: str = ",") -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle, delimiter=sep))


@pytest.fixture
def hostile(store, world):
    """One item per hostile string (in the name) and a 5,000-character hostile description."""
    description = ("=" + "\n".join(HOSTILE))[:5000].ljust(5000, "ñ")
    ids = [store.create_item(world.ana, task(world.ana_contact, name=text, description=description)).id
           for text in HOSTILE if not FORBIDDEN_CHARS.search(text)]
    legacy = [text for text in HOSTILE if FORBIDDEN_CHARS.search(text)]
    with store.db.transaction() as cursor:  # legacy rows the forms no longer accept (tabs, line breaks in names)
        for n, text in enumerate([*legacy, "\tTab delante", "\rCR delante", "\nLF delante"], start=1000):
            cursor.execute("""INSERT INTO items SELECT ?, kind, ?, activity_type, starts_at, due_at, responsible_mode,
                              responsible_id, contact_id, contact_owner_id, opportunity_id, description, status,
                              completed_at, completed_by, created_at, created_by, updated_at FROM items WHERE id = ?""",
                           [n, text, ids[0]])
        rollups.rebuild(cursor)  # rows from before the rules were counted when the rollups were built
    return {"names": HOSTILE + ["\tTab delante", "\rCR delante", "\nLF delante"], "description": description}


def export(store, user, tmp_path, name="out.csv", filters=Filters(), **options) -> Path:
    path = tmp_path / name
    Exporter(store.db).write(path, filters, user, NOW, ZONE, "csv", CsvOptions(**options))
    return path


def test_hostile_text_survives_export_to_pandas_and_csv_field_for_field(store, world, hostile, tmp_path):
    path = export(store, world.admin, tmp_path, escape_formulas=False)
    rows = read_csv(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == HEADERS and [r["Nombre"] for r in rows] == list(frame["Nombre"])
    assert sorted(r["Nombre"] for r in rows) == sorted(hostile["names"])
    assert {r["Descripción"] for r in rows if not r["Nombre"].endswith("delante")} == {hostile["description"]}
    assert len(hostile["description"]) == 5000


def test_formula_cells_are_neutralised_by_default_and_reversibly(store, world, hostile, tmp_path):
    rows = read_csv(export(store, world.admin, tmp_path))
    for row in rows:
        for column in ("Nombre", "Descripción"):
            value = row[column]
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), value
        assert unescape_cell(row["Nombre"]) in hostile["names"]
    names = {row["Nombre"] for row in rows}
    assert "'=SUM(A1:A9)" in names and "'@cmd" in names and "''ya con apóstrofo" in names
    assert "'\tTab delante" in names and "coma, punto y coma; fin" in names
    assert {"3 reuniones", "#etiqueta", "(entre paréntesis)", "עברית وعربي RTL"} <= names  # not formulas: untouched


def test_semicolon_separator_and_bom_for_excel(store, world, tmp_path):
    store.create_item(world.ana, task(world.ana_contact, name="a;b"))
    path = export(store, world.admin, tmp_path, separator=";", bom=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfID;Clase;Nombre")
    (row,) = read_csv(path, ";")
    assert row["Nombre"] == "a;b" and row["Clase"] == "Tarea"


def test_instants_carry_the_users_offset_and_columns_follow_the_kind(store, world, tmp_path):
    store.create_item(world.ana, activity(world.ana_contact))  # Mar 5 10:00-11:00 Mexico City
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 2, 20, 9, 0)))  # overdue
    rows = {r["Clase"]: r for r in read_csv(export(store, world.admin, tmp_path))}
    act, tsk = rows["Actividad"], rows["Tarea"]
    assert (act["Desde"], act["Hasta"], act["Fecha"]) == ("2026-03-05T10:00:00-06:00", "2026-03-05T11:00:00-06:00", "")
    assert (tsk["Desde"], tsk["Hasta"], tsk["Fecha"]) == ("", "", "2026-02-20T09:00:00-06:00")
    assert (tsk["Vencida"], tsk["Días vencida"], act["Vencida"], act["Días vencida"]) == ("Sí", "10", "No", "")
    assert act["Responsable"] == "Ana Vendedora" and act["Modo de responsable"] == "Dueño del contacto"
    assert act["Empresa"] == "Acme" and act["Email del contacto"] == "cliente.ana@example.com"


def test_parquet_keeps_real_types(store, world, tmp_path):
    store.create_item(world.ana, activity(world.ana_contact))
    path = tmp_path / "out.parquet"
    Exporter(store.db).write(path, Filters(), world.admin, NOW, ZONE, "parquet")
    frame = pd.read_parquet(path)
    assert list(frame.columns) == HEADERS
    assert frame["Desde"].iloc[0] == pd.Timestamp("2026-03-05 16:00", tz="UTC")
    assert frame["Vencida"].dtype == bool and frame["ID"].dtype.kind == "i"


def test_a_seller_exports_only_what_they_can_see(store, world, tmp_path):
    mine = store.create_item(world.ana, task(world.ana_contact)).id
    shared = store.create_item(world.bruno, task(world.bruno_contact, responsible_mode=ResponsibleMode.USER,
                                                  responsible_id=world.ana.id)).id
    store.create_item(world.bruno, task(world.bruno_contact))
    rows = read_csv(export(store, world.ana, tmp_path))
    assert sorted(int(r["ID"]) for r in rows) == sorted([mine, shared])
    assert len(read_csv(export(store, world.carla, tmp_path, "all.csv"))) == 3


@pytest.mark.parametrize("filters", [
    Filters(), Filters(kind="tareas"), Filters(states=("Vencida",)), Filters(states=("Realizada",)),
    Filters(date_from=datetime(2026, 3, 1).date(), date_to=datetime(2026, 3, 31).date(), kind="actividades"),
])
def test_the_file_counts_the_same_rows_as_the_tablero(store, world, tmp_path, filters):
    for n in range(6):
        when = datetime(2026, 2, 25, 9, 0) + timedelta(days=3 * n)
        store.create_item(world.ana, task(world.ana_contact, start=when, status="Realizada" if n % 2 else "Pendiente"))
        store.create_item(world.bruno, activity(world.bruno_contact, start=when, end=when + timedelta(hours=1)))
    for user in (world.admin, world.ana):
        metrics = Analytics(store.db).dashboard(filters, user, NOW, ZONE).metrics
        rows = read_csv(export(store, user, tmp_path, f"{user.id}.csv", filters))
        assert len(rows) == metrics["Pendientes"] + metrics["Realizadas"]
        assert sum(r["Vencida"] == "Sí" for r in rows) == metrics["Vencidas"]


def test_cli_export_acts_with_the_given_users_rights(tmp_path):
    db = tmp_path / "cli.duckdb"
    base = [sys.executable, "-m", "escala", "--db", str(db)]
    assert subprocess.run([*base, "seed-demo", "--contacts", "20", "--activities", "50", "--tasks", "50"],
                          cwd=ROOT, capture_output=True).returncode == 0
    out = tmp_path / "mias.csv"
    done = subprocess.run([*base, "export", "tareas", "--out", str(out), "--sep", ";", "--estatus", "realizada",
                           "--as", "vendedor1@escala.demo"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = read_csv(out, ";")
    assert rows and {r["Clase"] for r in rows} == {"Tarea"} and {r["Estatus"] for r in rows} == {"Realizada"}
    refused = subprocess.run([*base, "export", "todo", "--out", str(out), "--as", "nadie@example.com"],
                             cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1


# ------------------------------------------------------------------ where a file may go

@pytest.fixture
def duckdb_store(tmp_path, clock):
    """A DuckDB file whatever the engine under test: only DuckDB has files of the database's
    own beside the exports (the file, its log); a PostgreSQL database's files are the
    server's, out of this process's reach (``own_files()`` is empty)."""
    database = Database(tmp_path / "escala.duckdb")
    database.migrate()
    yield Store(database, clock=clock)
    database.close()


def _symlink_to_database(db, tmp_path):
    (tmp_path / "enlace.csv").symlink_to(db.path)
    return tmp_path / "enlace.csv"


def _hard_link_to_database(db, tmp_path):
    os.link(db.path, tmp_path / "duro.csv")
    return tmp_path / "duro.csv"


@pytest.mark.parametrize("target", [
    pytest.param(lambda db, tmp: db.path, id="the-file"),
    pytest.param(lambda db, tmp: Path(f"{db.path}.wal"), id="its-log"),
    pytest.param(lambda db, tmp: tmp / "otra" / ".." / db.path.name, id="through-dotdot"),
    pytest.param(_symlink_to_database, id="through-a-symlink"),
    pytest.param(_hard_link_to_database, id="a-hard-link"),
])
def test_the_database_own_files_are_never_an_export_target_even_with_overwrite(duckdb_store, tmp_path, target):
    admin = make_user(duckdb_store, "Admin Uno", "admin@example.com", "admin")
    (tmp_path / "otra").mkdir()
    path = target(duckdb_store.db, tmp_path)
    with pytest.raises(OutputPathError, match="archivo de la base de datos"):
        Exporter(duckdb_store.db).write(path, Filters(), admin, NOW, ZONE, overwrite=True)
    assert duckdb_store.db.query_one("SELECT count(*) FROM users")[0] == 1  # the database is untouched
    assert not list(tmp_path.rglob("*.parcial"))


@pytest.mark.parametrize("name, words", [
    ("", "Falta el archivo"),
    (".", "es una carpeta"),
    ("no-existe/salida.csv", "No existe la carpeta"),
])
def test_bad_output_places_are_refused_in_one_line(db, tmp_path, monkeypatch, name, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputPathError, match=words) as raised:
        check_output_path(name, db.own_files())
    assert "\n" not in str(raised.value)


def test_an_existing_file_is_replaced_only_when_asked(store, world, tmp_path):
    path = tmp_path / "ya.csv"
    path.write_text("mío\n", encoding="utf-8")
    with pytest.raises(OutputExists):
        Exporter(store.db).write(path, Filters(), world.admin, NOW, ZONE)
    assert path.read_text(encoding="utf-8") == "mío\n"
    Exporter(store.db).write(path, Filters(), world.admin, NOW, ZONE, overwrite=True)
    assert path.read_text(encoding="utf-8-sig").startswith("ID,Clase")


def test_a_failed_write_leaves_no_partial_file(store, world, tmp_path, monkeypatch):
    store.create_item(world.ana, task(world.ana_contact))

    def full_disk(source, target):
        raise OSError(28, "No queda espacio en el dispositivo")

    monkeypatch.setattr("escala.export.os.replace", full_disk)
    with pytest.raises(OutputPathError, match="No queda espacio"):
        Exporter(store.db).write(tmp_path / "out.csv", Filters(), world.admin, NOW, ZONE)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("out")] == []


def test_an_unwritable_place_is_one_error_and_no_file(store, world):
    with pytest.raises(OutputPathError) as raised:
        Exporter(store.db).write(Path("/proc/escala.csv"), Filters(), world.admin, NOW, ZONE)
    assert "\n" not in str(raised.value) and not Path("/proc/escala.csv.parcial").exists()


# ------------------------------------------------------------------ prepared downloads in the app

@pytest.fixture
def tab(tmp_path, monkeypatch):
    """One browser tab's session state, and a private system temp folder."""
    from escala.ui import downloads
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    state: dict = {}
    monkeypatch.setattr(downloads.st, "session_state", state)
    return state, temp


def test_a_tab_keeps_only_its_latest_prepared_export(store, world, tab):
    from escala.ui.downloads import export_file
    state, temp = tab
    first, _ = export_file(store, world.admin, Filters())
    state["agenda-export"] = {"path": str(first), "what": None}
    second, _ = export_file(store, world.admin, Filters(), fmt="parquet")
    assert [p.name for p in temp.iterdir()] == [second.parent.name] and second.is_file()
    assert "agenda-export" not in state  # the download that offered the deleted file is forgotten


def test_a_failed_prepare_leaves_no_folder(store, world, tab, monkeypatch):
    from escala.ui.downloads import export_file
    _, temp = tab
    monkeypatch.setattr("escala.export.os.replace", lambda source, target: (_ for _ in ()).throw(OSError(5, "E/S")))
    with pytest.raises(OutputPathError):
        export_file(store, world.admin, Filters())
    assert list(temp.iterdir()) == []


@pytest.mark.parametrize(("zone", "expected"), [
    ("Asia/Kolkata", "2026-03-05T21:30:00+05:30"), ("UTC", "2026-03-05T16:00:00+00:00"),
    ("America/St_Johns", "2026-03-05T12:30:00-03:30"), ("Pacific/Chatham", "2026-03-06T05:45:00+13:45")])
def test_instants_carry_offsets_of_every_shape(store, world, tmp_path, zone, expected):
    store.create_item(world.ana, activity(world.ana_contact))  # Mar 5 10:00 Mexico City = 16:00 UTC
    path = tmp_path / "out.csv"
    Exporter(store.db).write(path, Filters(), world.admin, NOW, zone)
    (row,) = read_csv(path)
    assert row["Desde"] == expected


def test_instants_follow_daylight_saving_time(store, world, tmp_path):
    store.create_item(world.ana, activity(world.ana_contact, start=datetime(2026, 7, 1, 10, 0),
                                          end=datetime(2026, 7, 1, 11, 0)))  # 16:00 UTC
    store.create_item(world.ana, activity(world.ana_contact))  # Mar 5, 16:00 UTC
    path = tmp_path / "out.csv"
    Exporter(store.db).write(path, Filters(), world.admin, NOW, "America/New_York")
    assert sorted(row["Desde"] for row in read_csv(path)) == ["2026-03-05T11:00:00-05:00", "2026-07-01T12:00:00-04:00"]


def test_instants_either_side_of_a_dst_change_carry_their_own_offset(store, world, tmp_path):
    store.create_item(world.ana, activity(world.ana_contact, start=datetime(2026, 3, 8, 1, 59),
                                          end=datetime(2026, 3, 8, 3, 0), time_zone="America/New_York"))
    path = tmp_path / "out.csv"
    Exporter(store.db).write(path, Filters(), world.admin, NOW, "America/New_York")
    (row,) = read_csv(path)
    assert (row["Desde"], row["Hasta"]) == ("2026-03-08T01:59:00-05:00", "2026-03-08T03:00:00-04:00")


def test_instants_outside_the_listed_offsets_are_formatted_by_the_zone_alike(store, world, tmp_path, monkeypatch):
    store.create_item(world.ana, activity(world.ana_contact, start=datetime(2026, 7, 1, 10, 0),
                                          end=datetime(2026, 7, 1, 11, 0)))
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 1, 20, 9, 0)))
    listed = tmp_path / "listed.csv"
    Exporter(store.db).write(listed, Filters(), world.admin, NOW, "America/New_York")
    offset_periods = times.offset_periods
    monkeypatch.setattr(times, "offset_periods", lambda zone, first, last: offset_periods(zone, last, last))
    zoned = tmp_path / "zoned.csv"  # only the latest instant is listed: the rest take the zone's own path
    Exporter(store.db).write(zoned, Filters(), world.admin, NOW, "America/New_York")
    assert zoned.read_text() == listed.read_text()
    assert "2026-07-01T12:00:00-04:00" in listed.read_text() and "2026-01-20T10:00:00-05:00" in listed.read_text()


# ------------------------------------------------------------------ the same export on both engines

@pytest.fixture
def duckdb_and_postgresql(postgresql_url, tmp_path, clock):
    """The same data in a DuckDB file and in a PostgreSQL database, whatever the engine under
    test: ``(admin, [DuckDB's store, PostgreSQL's store])``, written in the same order, which
    both keep (the storage order an export follows, see export.py)."""
    from tests.postgresql import create_database, drop_database

    url = create_database(postgresql_url)
    stores = []
    try:
        for location in (tmp_path / "escala.duckdb", url):
            database = open_database(location)
            database.migrate()
            stores.append(Store(database, clock=clock))
        admins = [_same_items(store) for store in stores]
        assert admins[0] == admins[1]
        yield admins[0], stores
    finally:
        for store in stores:
            store.db.close()
        drop_database(url)


def _same_items(store: Store):
    """Hostile names and descriptions, both kinds, pending, late and done, several people."""
    admin = make_user(store, "Admin Uno", "admin@example.com", "admin")
    ana = make_user(store, "Ana \"Vendedora\", S.A.", "ana@example.com", "seller")
    contact = store.create_contact(ana, ContactDraft("Cliente; de Ana", "cliente.ana@example.com", company="=Acme")).id
    opportunity = store.create_opportunity(ana, OpportunityDraft("Licencias", contact, "Propuesta", 1000)).id
    names = [text for text in HOSTILE if not FORBIDDEN_CHARS.search(text)]
    for n, name in enumerate(names):
        when = datetime(2026, 2, 20, 9, 0) + timedelta(days=2 * n, minutes=7 * n)
        done = "Realizada" if n % 3 == 0 else "Pendiente"
        store.create_item(ana, task(contact, name=name, start=when, status=done, description=HOSTILE[-n]))
        store.create_item(admin, activity(contact, name=name, start=when, end=when + timedelta(hours=1, seconds=59),
                                          opportunity_id=opportunity, status=done, time_zone="America/New_York",
                                          responsible_mode=ResponsibleMode.USER, responsible_id=admin.id))
    with store.db.transaction() as cursor:  # what the forms refuse, from before the rules
        for n, text in enumerate(["\tTab delante", "\rCR delante", "línea\nuna", ""], start=1000):
            cursor.execute("""INSERT INTO items SELECT ?, kind, 'legado', activity_type, starts_at, due_at, responsible_mode,
                              responsible_id, contact_id, contact_owner_id, opportunity_id, ?, status,
                              completed_at, completed_by, created_at, created_by, updated_at FROM items WHERE id = ?""",
                           [n, text, 1])
        rollups.rebuild(cursor)
    return admin


@pytest.mark.parametrize("zone", ["America/Mexico_City", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
@pytest.mark.parametrize("options", [CsvOptions(), CsvOptions(separator=";", bom=True, escape_formulas=False)],
                         ids=["default", "excel"])
def test_postgresql_writes_the_very_bytes_duckdb_writes(duckdb_and_postgresql, tmp_path, zone, options):
    admin, stores = duckdb_and_postgresql
    files = []
    for n, store in enumerate(stores):
        files.append(tmp_path / f"{n}.csv")
        rows = Exporter(store.db).write(files[-1], Filters(), admin, NOW, zone, "csv", options)
        assert rows == len(read_csv(files[-1], options.separator)) == 2 * 13 + 4
    assert files[1].read_bytes() == files[0].read_bytes()
    assert "Días vencida" in files[0].read_text(encoding="utf-8-sig")


def test_both_engines_write_the_same_gzip_parquet_and_preview(duckdb_and_postgresql, tmp_path):
    admin, stores = duckdb_and_postgresql
    texts, tables, frames = [], [], []
    for n, store in enumerate(stores):
        exporter = Exporter(store.db)
        assert exporter.write(tmp_path / f"{n}.csv.gz", Filters(), admin, NOW, ZONE, gzip=True, limit=11) == 11
        texts.append(gzip.decompress((tmp_path / f"{n}.csv.gz").read_bytes()))
        exporter.write(tmp_path / f"{n}.parquet", Filters(), admin, NOW, ZONE, fmt="parquet")
        tables.append(pq.read_table(tmp_path / f"{n}.parquet"))
        frames.append(exporter.preview(Filters(), admin, NOW, ZONE, rows=7))
    assert texts[1] == texts[0] and texts[0].count(b"\n") > 11
    # the same names and types (DuckDB also marks the columns it proves never NULL as required)
    assert [(f.name, f.type) for f in tables[1].schema] == [(f.name, f.type) for f in tables[0].schema]
    assert tables[1].to_pylist() == tables[0].to_pylist() and tables[0].num_rows == 2 * 13 + 4
    assert [str(t) for t in tables[0].schema.types[:5]] == ["int64", "string", "string", "string", "timestamp[us, tz=UTC]"]
    pd.testing.assert_frame_equal(frames[1], frames[0])
    assert len(frames[0]) == 7


def test_both_engines_export_the_same_rows_for_the_same_filters(duckdb_and_postgresql, tmp_path):
    """Rows come in each engine's own order (DuckDB's storage order; PostgreSQL's plan may
    join in another), so the rows are compared as a set, the header and the count exactly."""
    admin, stores = duckdb_and_postgresql
    filters = Filters(states=("Vencida", "Realizada"), kind="tareas")
    lines = []
    for n, store in enumerate(stores):
        rows = Exporter(store.db).write(tmp_path / f"{n}.csv", filters, admin, NOW, ZONE)
        assert rows == Exporter(store.db).count(filters, admin, NOW, ZONE) > 0
        with open(tmp_path / f"{n}.csv", newline="", encoding="utf-8") as handle:
            lines.append(list(csv.reader(handle)))
    assert lines[1][0] == lines[0][0] == HEADERS
    assert sorted(lines[1][1:]) == sorted(lines[0][1:]) and len(lines[0]) > 2


def test_both_engines_format_instants_alike_without_the_listed_offsets(duckdb_and_postgresql, tmp_path, monkeypatch):
    admin, stores = duckdb_and_postgresql
    monkeypatch.setattr(times, "offset_periods", lambda zone, first, last: None)  # every instant by the zone
    files = [tmp_path / "0.csv", tmp_path / "1.csv"]
    for path, store in zip(files, stores, strict=True):
        Exporter(store.db).write(path, Filters(), admin, NOW, "America/St_Johns")
    assert files[1].read_bytes() == files[0].read_bytes()
    assert "2026-02-20T11:30:00-03:30" in files[0].read_text()  # 09:00 in Mexico City, 15:00 UTC


def test_formula_cells_are_found_by_their_first_character_alone():
    """Every export is formatted by DuckDB, on both engines (export.py): its SQL finds exactly
    the cells that start with a formula character."""
    firsts = [chr(code) for code in range(1, 128)] + ["é", "ñ", "🎉"]
    with duckdb.connect() as connection:
        for first in firsts:
            sql = f"SELECT {starts_formula('v')} FROM (SELECT ?::VARCHAR AS v) AS t"  # sql-ok: ours
            assert connection.execute(sql, [f"{first}resto"]).fetchone()[0] is (first in FORMULA_STARTS), repr(first)


def test_a_failed_stream_leaves_no_file_and_the_connection_usable(duckdb_and_postgresql, tmp_path, monkeypatch):
    from escala.engines import postgresql

    admin, (_, pg) = duckdb_and_postgresql

    opened = []

    class FullDisk(io.BufferedWriter):
        def write(self, block):
            raise OSError(28, "No queda espacio en el dispositivo")

    def full_disk(path, mode, **options):  # where PostgreSQL's rows are streamed to, before DuckDB reads them
        opened.append(Path(path))
        return FullDisk(io.FileIO(path, mode))

    monkeypatch.setattr(postgresql, "open", full_disk, raising=False)
    with pytest.raises(OutputPathError, match="No queda espacio"):
        Exporter(pg.db).write(tmp_path / "out.csv", Filters(), admin, NOW, ZONE)
    assert list(tmp_path.glob("out*")) == []
    assert opened and not any(path.exists() for path in opened)
    monkeypatch.undo()
    assert Exporter(pg.db).write(tmp_path / "out.csv", Filters(), admin, NOW, ZONE) == 2 * 13 + 4
