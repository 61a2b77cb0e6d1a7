"""Import: exact round trips, a line-by-line error report, all-or-nothing, and no duplicates."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from escala import demo
from escala.analytics import Filters
from escala.db import Database
from escala.domain import PermissionDenied, ValidationError
from escala.export import CsvOptions, Exporter
from escala.imports import ITEM_COLUMNS, import_contacts, import_items
from escala.store import Store
from tests.conftest import task
from tests.test_export import HOSTILE

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def same_people(source: Database, target: Database) -> None:
    """An "empty" database for a round trip: the same users, no contacts or items."""
    with target.transaction() as cursor:
        for row in source.query("SELECT id, name, email, role::VARCHAR, active, time_zone, password_hash, created_at "
                                "FROM users ORDER BY id"):
            cursor.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(row))
        cursor.execute("UPDATE id_counters SET last_id = (SELECT max(id) FROM users) WHERE name = 'users'")


def export(db: Database, path: Path, kind: str, **options) -> Path:
    admin = Store(db).get_user(1)
    Exporter(db).write(path, Filters(kind=kind), admin, NOW, admin.time_zone, "csv", CsvOptions(**options))
    return path


@pytest.fixture
def source(tmp_path):
    db = Database(tmp_path / "source.duckdb")
    db.migrate()
    demo.seed(db, demo.DemoSize(users=6, contacts=30, activities=300, tasks=200, seed=5, today=date(2026, 3, 2)))
    store = Store(db)
    for text in HOSTILE:  # names are one line (the text rule); descriptions keep tabs and line breaks
        store.create_item(store.get_user(1), task(1, name=" ".join(text.split()), description=text * 3))
    return db


@pytest.fixture
def target(tmp_path, source):
    db = Database(tmp_path / "target.duckdb")
    db.migrate()
    same_people(source, db)
    return db


@pytest.mark.parametrize("options", [{}, {"separator": ";", "bom": True}, {"escape_formulas": False}],
                         ids=["por defecto", "excel", "sin neutralizar"])
def test_export_import_export_gives_the_same_file(source, target, tmp_path, options):
    store = Store(target)
    for kind in ("actividades", "tareas"):
        first = export(source, tmp_path / f"{kind}-1.csv", kind, **options)
        report = import_items(store, store.get_user(1), kind, first)
        assert report.written and not report.rejected and report.inserted == report.rows
        second = export(target, tmp_path / f"{kind}-2.csv", kind, **options)
        assert first.read_bytes() == second.read_bytes()
    assert store.integrity_problems() == []


def test_importing_the_same_file_twice_does_not_duplicate(source, target, tmp_path):
    store = Store(target)
    path = export(source, tmp_path / "tareas.csv", "tareas")
    first = import_items(store, store.get_user(1), "tareas", path)
    again = import_items(store, store.get_user(1), "tareas", path)
    assert (again.inserted, again.updated) == (0, first.inserted)
    assert target.query_one("SELECT count(*) FROM items")[0] == first.inserted
    assert target.query_one("SELECT count(*) FROM contacts")[0] == source.query_one(
        "SELECT count(DISTINCT contact_id) FROM items WHERE kind = 'Tarea'")[0]


def write_rows(path: Path, rows: list[dict], separator: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ITEM_COLUMNS, delimiter=separator)
        writer.writeheader()
        writer.writerows(rows)
    return path


GOOD = {"Clase": "Actividad", "Nombre": "Llamada de prueba", "Tipo": "Llamada", "Desde": "2026-03-05T10:00:00-06:00",
        "Hasta": "2026-03-05T11:00:00-06:00", "Contacto": "Cliente Nuevo", "Email del contacto": "nuevo@example.com",
        "Empresa": "Empresa Nueva", "Oportunidad": "Plan anual", "Etapa": "Propuesta", "Estatus": "Pendiente"}


def test_every_rejected_line_is_reported_with_its_fields_and_nothing_is_written(target, tmp_path):
    store = Store(target)
    path = write_rows(tmp_path / "malo.csv", [
        GOOD,
        {**GOOD, "Nombre": "", "Tipo": "Cena"},  # line 3
        {**GOOD, "Hasta": "2026-03-05T09:00:00-06:00"},  # line 4
        {**GOOD, "Desde": "mañana"},  # line 5
        {**GOOD, "Modo de responsable": "Un usuario específico", "Responsable": "Nadie Conocido"},  # line 6
        {**GOOD, "Estatus": "Cancelada", "Descripción": "x" * 5001},  # line 7
    ])
    report = import_items(store, store.get_user(1), "actividades", path)
    assert not report.written and report.rows == 6
    lines = dict(report.rejected)
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert set(lines[3]) == {"name", "activity_type"} and lines[3]["name"] == "El nombre es obligatorio."
    assert lines[4] == {"end": "Hasta no puede ser anterior a Desde."}
    assert "start" in lines[5] and set(lines[7]) == {"status", "description"}
    assert "Responsable" in lines[6]["responsible"]
    assert target.query_one("SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM contacts)")[0] == 0


def test_skip_invalid_loads_the_good_lines(target, tmp_path):
    store = Store(target)
    path = write_rows(tmp_path / "mixto.csv", [GOOD, {**GOOD, "Nombre": ""}, {**GOOD, "Nombre": "Otra llamada"}])
    report = import_items(store, store.get_user(1), "actividades", path, skip_invalid=True)
    assert report.written and report.inserted == 2 and [line for line, _ in report.rejected] == [3]
    contact = store.find_contact_by_email(store.get_user(1), "nuevo@example.com")
    assert contact.company_name == "Empresa Nueva"
    (item,) = [i for i in store.list_items(store.get_user(1), contact_id=contact.id) if i.name == "Llamada de prueba"]
    assert item.opportunity_name == "Plan anual" and item.starts_at == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
    assert [e.action for e in store.audit_trail(store.get_user(1), "item", item.id)] == ["create"]


def test_a_file_without_the_needed_columns_is_refused(target, tmp_path):
    path = tmp_path / "otro.csv"
    path.write_text("nombre,fecha\nalgo,2026-01-01\n", encoding="utf-8")
    store = Store(target)
    with pytest.raises(ValidationError, match="Faltan columnas"):
        import_items(store, store.get_user(1), "tareas", path)


def test_only_admins_import(source, target, tmp_path):
    store = Store(target)
    path = export(source, tmp_path / "tareas.csv", "tareas")
    for user_id in (2, 3):  # analyst, seller
        with pytest.raises(PermissionDenied):
            import_items(store, store.get_user(user_id), "tareas", path)


def test_contacts_import_creates_updates_by_email_and_reports_errors(target, tmp_path):
    store = Store(target)
    seller = store.get_user(3)
    path = tmp_path / "contactos.csv"
    path.write_text(
        "Nombre;Correo electrónico;Teléfono;Empresa;Dueño del contacto\n"
        f"Lucía Gómez;LUCIA@example.com;+52 55 1234 5678;Acme;{seller.name}\n"
        "Sin correo;;;;\n"
        "Mal correo;no-es-correo;;;\n", encoding="utf-8")
    rejected = import_contacts(store, store.get_user(1), path)
    assert not rejected.written and [line for line, _ in rejected.rejected] == [4]
    loaded = import_contacts(store, store.get_user(1), path, skip_invalid=True)
    assert (loaded.inserted, loaded.updated) == (2, 0)
    lucia = store.find_contact_by_email(store.get_user(1), "lucia@example.com")
    assert (lucia.owner_id, lucia.company_name, lucia.phone) == (seller.id, "Acme", "+52 55 1234 5678")
    path.write_text("Nombre,Correo electrónico\nLucía Gómez Ruiz,lucia@example.com\n", encoding="utf-8")
    again = import_contacts(store, store.get_user(1), path)
    assert (again.inserted, again.updated) == (0, 1)
    assert store.get_contact(store.get_user(1), lucia.id).name == "Lucía Gómez Ruiz"


def test_cli_import_reports_lines_and_exits_non_zero_when_cancelled(target, tmp_path):
    target.close()
    path = write_rows(tmp_path / "cli.csv", [GOOD, {**GOOD, "Nombre": ""}])
    base = [sys.executable, "-m", "escala", "--db", str(tmp_path / "target.duckdb"), "import", "actividades",
            str(path), "--as", "admin@escala.demo"]
    refused = subprocess.run(base, cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "línea 3: El nombre es obligatorio." in refused.stderr
    assert "Traceback" not in refused.stderr
    loaded = subprocess.run([*base, "--skip-invalid"], cwd=ROOT, capture_output=True, text=True)
    assert loaded.returncode == 0 and "1 creadas" in loaded.stdout
