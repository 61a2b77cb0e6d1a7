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
from escala.db import BaseDatabase, open_database
from escala.domain import ContactDraft, PermissionDenied, ValidationError
from escala.export import CsvOptions, Exporter
from escala.imports import ITEM_COLUMNS, import_contacts, import_items
from escala.store import Store
from tests.conftest import assert_rollups_agree, make_user, task
from tests.test_export import HOSTILE

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def same_people(source: BaseDatabase, target: BaseDatabase) -> None:
    """An "empty" database for a round trip: the same users, no contacts or items."""
    with target.transaction() as cursor:
        columns = "id, name, email, role, active, time_zone, password_hash, created_at, password_allowed"
        for row in source.query(f"SELECT {columns} FROM users ORDER BY id"):  # sql-ok: fixed text
            cursor.execute(f"INSERT INTO users ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row))  # sql-ok
        cursor.execute("UPDATE id_counters SET last_id = (SELECT max(id) FROM users) WHERE name = 'users'")


def export(db: BaseDatabase, path: Path, kind: str, **options) -> Path:
    admin = Store(db).get_user(1)
    Exporter(db).write(path, Filters(kind=kind), admin, NOW, admin.time_zone, "csv", CsvOptions(**options))
    return path


@pytest.fixture
def source(new_location):
    """The exported side; ``target``, where the imports run: both on the engine under test."""
    db = open_database(new_location("source"))
    db.migrate()
    demo.seed(db, demo.DemoSize(users=6, contacts=30, activities=300, tasks=200, seed=5, today=date(2026, 3, 2)))
    store = Store(db)
    for text in HOSTILE:  # names are one line (the text rule); descriptions keep tabs and line breaks
        store.create_item(store.get_user(1), task(1, name=" ".join(text.split()), description=text * 3))
    yield db
    assert_rollups_agree(db)


@pytest.fixture
def target(new_location, source):
    db = open_database(new_location("target"))
    db.migrate()
    same_people(source, db)
    yield db
    assert_rollups_agree(db)  # imports keep the Tablero's rollups exact


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
    base = [sys.executable, "-m", "escala", "--db", str(target.location), "import", "actividades",
            str(path), "--as", "admin@escala.demo"]
    refused = subprocess.run(base, cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "línea 3: El nombre es obligatorio." in refused.stderr
    assert "Traceback" not in refused.stderr
    loaded = subprocess.run([*base, "--skip-invalid"], cwd=ROOT, capture_output=True, text=True)
    assert loaded.returncode == 0 and "1 creada, 0 actualizadas, 1 línea rechazada (de 2 líneas)." in loaded.stdout


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_with_only_the_required_columns_takes_the_defaults(target, tmp_path):
    store = Store(target)
    path = write_csv(tmp_path / "minimo.csv", "Nombre,Fecha,Contacto\nLlamar,2026-03-05T10:00:00-06:00,Cliente Mínimo\n")
    report = import_items(store, store.get_user(1), "tareas", path)
    assert report.written and report.inserted == 1
    (item,) = store.list_items(store.get_user(1))
    assert (item.description, item.status, item.responsible_mode) == ("", "Pendiente", "Dueño del contacto")


def rejected(target, tmp_path, rows: list[dict], kind: str = "actividades", skip_invalid: bool = False) -> dict:
    store = Store(target)
    report = import_items(store, store.get_user(1), kind, write_rows(tmp_path / "archivo.csv", rows), skip_invalid)
    return dict(report.rejected)


LONG = "x" * 201


@pytest.mark.parametrize("changes, field, message", [
    ({"Contacto": LONG}, "contact", "El contacto admite como máximo 200 caracteres (tiene 201)."),
    ({"Contacto": "", "Email del contacto": "a" * 195 + "@x.com"}, "contact", "El contacto admite como máximo 200"),
    ({"Empresa": LONG}, "company", "El nombre de la empresa admite como máximo 200"),
    ({"Oportunidad": LONG}, "opportunity", "El nombre de la oportunidad admite como máximo 200"),
    ({"Email del contacto": "no-es-correo"}, "email", "Correo electrónico no válido"),
    ({"Email del contacto": "a@b.c" + "c" * 250}, "email", "Correo electrónico no válido"),
    ({"Email del contacto": "ana maría@example.com"}, "email", "Correo electrónico no válido"),
    ({"Descripción": "ñ" * 5001}, "description", "La descripción admite como máximo 5,000 caracteres (tiene 5,001)."),
    ({"Tipo": ""}, "activity_type", "Elige el tipo de actividad."),
    ({"Etapa": "Ganadísima"}, "stage", "Etapa no válida"),
    ({"Modo de responsable": "Un usuario específico"}, "responsible", "Elige el usuario responsable."),
    ({"Modo de responsable": "Otro"}, "responsible", "Modo de responsable no válido"),
    ({"ID": "0"}, "id", "ID: debe ser un número entero entre 1 y"),
    ({"ID": "-4"}, "id", "ID: debe ser un número entero entre 1 y"),
    ({"ID": "12.5"}, "id", "ID: debe ser un número entero entre 1 y"),
    ({"ID": "99999999999999999999"}, "id", "ID: debe ser un número entero entre 1 y"),
    ({"Clase": "Tarea"}, "kind", "Esta importación solo admite filas de Clase Actividad."),
], ids=["contacto largo", "contacto = correo largo", "empresa larga", "oportunidad larga", "correo", "correo largo",
        "correo con espacio", "descripción larga", "sin tipo", "etapa", "usuario sin nombre", "modo", "ID 0",
        "ID negativo", "ID decimal", "ID enorme", "otra clase"])
def test_each_rule_is_a_spanish_message_on_its_line(target, tmp_path, changes, field, message):
    lines = rejected(target, tmp_path, [GOOD, {**GOOD, **changes}])
    assert list(lines) == [3] and lines[3][field].startswith(message)


def test_skip_invalid_loads_around_what_the_schema_would_refuse(target, tmp_path):
    rows = [GOOD, {**GOOD, "Contacto": LONG, "Email del contacto": ""}, {**GOOD, "Empresa": LONG},
            {**GOOD, "Email del contacto": "malo"}, {**GOOD, "ID": "7"}, {**GOOD, "ID": "7", "Nombre": "Otra"}]
    lines = rejected(target, tmp_path, rows, skip_invalid=True)
    assert sorted(lines) == [3, 4, 5, 6, 7] and lines[6] == lines[7] == {"id": "ID: aparece en más de una línea del archivo."}
    assert target.query_one("SELECT count(*) FROM items")[0] == 1


def test_companies_and_opportunities_that_differ_only_in_case_are_one(target, tmp_path):
    lines = rejected(target, tmp_path, [GOOD, {**GOOD, "Empresa": "EMPRESA NUEVA", "Oportunidad": "PLAN ANUAL"}])
    assert lines == {}
    assert target.query_one("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM opportunities)") == (1, 1)


@pytest.mark.parametrize("value, message", [
    ("10000-01-01T00:00:00Z", "Fecha: la fecha debe estar entre 1970 y 2100."),
    ("294247-01-01T00:00:00Z", "Fecha: la fecha debe estar entre 1970 y 2100."),
    ("0001-01-01T00:00:00Z", "Fecha: la fecha debe estar entre 1970 y 2100."),
    ("1969-12-31T23:59:59Z", "Fecha: la fecha debe estar entre 1970 y 2100."),
    ("2100-12-31T23:00:00-06:00", "Fecha: la fecha debe estar entre 1970 y 2100."),
    ("2026-03-05T10:00:00", "Fecha: indica la zona horaria (p. ej. 2026-03-05T10:00:00-06:00)."),
    ("2026-03-05 10:00", "Fecha: indica la zona horaria (p. ej. 2026-03-05T10:00:00-06:00)."),
    ("2026-03-05T10:00:00 America/Mexico_City", "Fecha: fecha y hora no válidas"),
    ("2026-03-05T10:00:00+99:00", "Fecha: fecha y hora no válidas"),
    ("2026-02-30T10:00:00Z", "Fecha: fecha y hora no válidas"),
    ("infinity", "Fecha: fecha y hora no válidas"),
    ("-infinity", "Fecha: fecha y hora no válidas"),
    ("epoch", "Fecha: fecha y hora no válidas"),
    ("", "Fecha: indica la fecha y la hora."),
])
def test_task_dates_need_an_offset_and_the_allowed_range(target, tmp_path, value, message):
    task_row = {"Clase": "Tarea", "Nombre": "Llamar", "Fecha": value, "Contacto": "Cliente"}
    lines = rejected(target, tmp_path, [task_row], kind="tareas")
    assert lines[2]["start"].startswith(message)


@pytest.mark.parametrize("column, field", [("Desde", "start"), ("Hasta", "end"), ("Creada", "created_at"),
                                           ("Realizada el", "completed_at")])
def test_every_date_column_is_checked(target, tmp_path, column, field):
    lines = rejected(target, tmp_path, [{**GOOD, "Estatus": "Realizada", column: "10000-01-01T00:00:00Z"}])
    assert lines[2][field] == f"{column}: la fecha debe estar entre 1970 y 2100."


def test_offsets_and_utc_are_read_as_the_instant_they_name(target, tmp_path):
    rows = [{**GOOD, "Desde": "2026-03-05T16:00:00Z", "Hasta": "2026-03-05T22:30:00+05:30"},
            {**GOOD, "Desde": "1970-01-01T00:00:00Z", "Hasta": "2100-12-31T23:59:59Z", "Nombre": "Extremos"}]
    assert rejected(target, tmp_path, rows) == {}
    spans = target.query("SELECT starts_at, due_at FROM items ORDER BY id")
    assert spans == [(datetime(2026, 3, 5, 16), datetime(2026, 3, 5, 17)),
                     (datetime(1970, 1, 1), datetime(2100, 12, 31, 23, 59, 59))]


HIDDEN = {"nul": "a\x00b", "control": "a\x07b", "c1": "a\x85b", "bidi": "factura\u202Efdp.exe",
          "isolate": "x\u2066y", "line break": "uno\ndos"}


@pytest.mark.parametrize("column, field", [
    ("Nombre", "name"), ("Contacto", "contact"), ("Empresa", "company"), ("Oportunidad", "opportunity"),
    ("Responsable", "responsible"), ("Creada por", "created_by"), ("Realizada por", "completed_by"),
    ("Email del contacto", "email")])
@pytest.mark.parametrize("text", HIDDEN.values(), ids=HIDDEN.keys())
def test_text_columns_refuse_controls_and_bidi_overrides(target, tmp_path, column, field, text):
    lines = rejected(target, tmp_path, [{**GOOD, column: text}])
    assert field in lines[2]
    assert column == "Email del contacto" or lines[2][field].endswith(
        "contiene caracteres de control o de dirección de texto no permitidos.")


def test_description_keeps_tabs_and_line_breaks_but_not_other_controls(target, tmp_path):
    lines = rejected(target, tmp_path, [{**GOOD, "Descripción": "uno\tdos\r\ntres"},
                                        {**GOOD, "Descripción": "factura\u202Efdp.exe"}])
    assert list(lines) == [3] and "description" in lines[3]


@pytest.mark.parametrize("column, field", [("Nombre", "name"), ("Contacto", "contact"), ("Empresa", "company"),
                                           ("Oportunidad", "opportunity")])
def test_names_with_nothing_visible_are_refused(target, tmp_path, column, field):
    lines = rejected(target, tmp_path, [{**GOOD, column: "\u200b\u3164"}])
    assert lines[2][field].endswith("es obligatorio.")


def test_contacts_import_applies_the_same_text_rules(target, tmp_path):
    store = Store(target)
    path = write_csv(tmp_path / "contactos.csv", (
        "Nombre,Correo electrónico,Teléfono,Empresa,Dueño del contacto\n"
        "Bien,bien@example.com,,,\n"
        "factura\u202Efdp.exe,,,,\n"
        "\u200b,,,,\n"
        f"Largo,,,{LONG},\n"
        "Tel,,55\x00123456,,\n"
        "Correo,a\u202e@example.com,,,\n"
        f"Empresa,,,Acme\x07,\n"))
    report = import_contacts(store, store.get_user(1), path)
    lines = dict(report.rejected)
    assert sorted(lines) == [3, 4, 5, 6, 7, 8] and not report.written
    assert set(lines[3]) == {"name"} and set(lines[4]) == {"name"} and set(lines[5]) == {"company"}
    assert set(lines[6]) == {"phone"} and set(lines[7]) == {"email"} and set(lines[8]) == {"company"}


def test_an_id_of_the_other_kind_is_refused(source, target, tmp_path):
    store = Store(target)
    activities = export(source, tmp_path / "actividades.csv", "actividades")
    assert import_items(store, store.get_user(1), "actividades", activities).written
    (activity_id,) = target.query_one("SELECT min(id) FROM items WHERE kind = 'Actividad'")
    lines = rejected(target, tmp_path, [{"ID": str(activity_id), "Clase": "Tarea", "Nombre": "Pisar una actividad",
                                         "Fecha": "2026-03-05T10:00:00Z", "Contacto": "Cliente"}], kind="tareas")
    assert lines[2] == {"id": "ID: es de una actividad existente; esta línea es una tarea."}
    assert target.query_one("SELECT kind FROM items WHERE id = ?", [activity_id])[0] == "Actividad"


def test_the_default_export_of_everything_imports_back_as_it_came_out(source, target, tmp_path):
    store = Store(target)
    first = export(source, tmp_path / "todo-1.csv", "ambas")  # the default: both kinds
    report = import_items(store, store.get_user(1), "todo", first)
    assert report.written and not report.rejected and report.inserted == report.rows
    assert export(target, tmp_path / "todo-2.csv", "ambas").read_bytes() == first.read_bytes()
    assert store.integrity_problems() == []


def test_everything_import_needs_each_rows_class(target, tmp_path):
    lines = rejected(target, tmp_path, [GOOD, {**GOOD, "Clase": ""}, {**GOOD, "Clase": "Reunión"}], kind="todo")
    assert lines == {3: {"kind": "Clase no válida: Actividad o Tarea."}, 4: {"kind": "Clase no válida: Actividad o Tarea."}}


@pytest.mark.parametrize("text, message", [
    ("Nombre,Fecha,Contacto\na,2026-03-05T10:00:00Z,c\nd,e\n", "línea 3: tiene 2 columnas y el encabezado 3"),
    ("Nombre,Fecha,Contacto\na,\"2026-03-05T10:00:00Z,c\nd,e,f\n", "comillas que no se cierra"),
    ("Nombre,Fecha,Contacto\na,\"b\"x,c\n", "un valor entre comillas no se cierra bien"),
    ("", "El archivo está vacío"),
    ("Nombre,Nombre,Fecha,Contacto\n", "Encabezados repetidos: Nombre."),
], ids=["columnas", "comillas abiertas", "texto tras comillas", "vacío", "encabezado repetido"])
def test_an_unreadable_file_is_one_spanish_message_without_paths(target, tmp_path, text, message):
    store = Store(target)
    path = write_csv(tmp_path / "roto.csv", text)
    with pytest.raises(ValidationError) as refused:
        import_items(store, store.get_user(1), "tareas", path)
    assert message in refused.value.errors["file"] and str(tmp_path) not in refused.value.errors["file"]


def test_a_file_that_is_not_utf8_is_refused(target, tmp_path):
    store = Store(target)
    path = tmp_path / "latin1.csv"
    path.write_bytes("Nombre,Fecha,Contacto\nAndrés,2026-03-05T10:00:00Z,Peña\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="UTF-8"):
        import_items(store, store.get_user(1), "tareas", path)


def test_the_summary_names_the_way_to_skip_where_the_user_is(target, tmp_path):
    store = Store(target)
    report = import_items(store, store.get_user(1), "actividades", write_rows(tmp_path / "m.csv", [{**GOOD, "Nombre": ""}]))
    assert "--skip-invalid" in report.summary()
    assert report.summary("marca «Cargar solo las líneas válidas»").endswith("(marca «Cargar solo las líneas válidas»).")


def test_an_unexpected_database_error_becomes_a_spanish_message(target, tmp_path, monkeypatch):
    import escala.imports as imports

    def broken(store, cursor, actor, report):
        cursor.execute("INSERT INTO items (id) VALUES (1)")  # a NOT NULL violation, as a bug would cause

    monkeypatch.setattr(imports, "_load_items", broken)
    store = Store(target)
    with pytest.raises(ValidationError) as refused:
        import_items(store, store.get_user(1), "actividades", write_rows(tmp_path / "ok.csv", [GOOD]))
    assert refused.value.errors == {"file": "No se pudo importar el archivo; no se cargó nada."}
    assert target.query_one("SELECT count(*) FROM items")[0] == 0


class FakePage:
    """Just enough of ``streamlit`` for ``importar``: an upload of ``data`` and a click on Importar."""

    def __init__(self, kind: str, data: bytes):
        self.kind, self.data, self.shown = kind, data, []

    def radio(self, *args, **kwargs):
        return self.kind

    def file_uploader(self, *args, **kwargs):
        return type("Upload", (), {"getvalue": lambda _: self.data})()

    def checkbox(self, *args, **kwargs):
        return False

    def button(self, *args, **kwargs):
        return True

    def spinner(self, *args, **kwargs):
        from contextlib import nullcontext
        return nullcontext()

    def error(self, message):
        self.shown.append(("error", message))

    def success(self, message):
        self.shown.append(("success", message))

    def __getattr__(self, name):  # divider, header, caption, dataframe
        return lambda *args, **kwargs: None


def test_web_import_speaks_of_its_checkbox_and_never_of_server_paths(target, tmp_path, monkeypatch):
    import escala.imports
    import escala.ui.exportar as page

    store = Store(target)
    copies = []
    real_import = escala.imports.import_items

    def spy(store, user, kind, path, skip):
        copies.append(Path(path))
        assert Path(path).exists()
        return real_import(store, user, kind, path, skip)

    monkeypatch.setattr(escala.imports, "import_items", spy)
    bad = write_rows(tmp_path / "malo.csv", [{**GOOD, "Nombre": ""}]).read_bytes()
    fake = FakePage("actividades", bad)
    monkeypatch.setattr(page, "st", fake)
    page.importar(store, store.get_user(1))
    ((level, message),) = fake.shown
    assert level == "error" and "Cargar solo las líneas válidas" in message and "--skip-invalid" not in message
    assert copies[0].name.startswith("escala-import-") and not copies[0].exists()

    fake = FakePage("todo", b"Clase,Nombre,Contacto\n\"sin cerrar,x,y\n")
    monkeypatch.setattr(page, "st", fake)
    page.importar(store, store.get_user(1))
    ((level, message),) = fake.shown
    assert level == "error" and "escala-import-" not in message and "/" not in message
    assert not copies[1].exists()


def test_reading_and_checking_a_file_does_not_hold_the_writer(source, target, tmp_path, monkeypatch):
    """While an import reads and checks its file, other writes (a save, a sign-in) go through:
    only the final load takes the writer lock."""
    import threading

    from escala import imports
    path = export(source, tmp_path / "tareas.csv", "tareas")
    store = Store(target)
    admin = store.get_user(1)
    contact = store.create_contact(admin, ContactDraft("Cliente mientras se importa"))
    finished = []
    real_check = imports._check_items_file

    def check_while_someone_saves(cursor, clase):
        real_check(cursor, clase)
        writer = threading.Thread(target=lambda: finished.append(
            store.create_item(admin, task(contact.id, name="Guardada durante la importación"))))
        writer.start()
        writer.join(timeout=10)
        assert finished, "a save waited for the import's checks"

    monkeypatch.setattr(imports, "_check_items_file", check_while_someone_saves)
    report = import_items(store, admin, "tareas", path)
    assert report.written and finished
    assert store.get_item(admin, finished[0].id).name == "Guardada durante la importación"


def test_only_the_exports_formula_apostrophe_is_taken_off(target, tmp_path):
    store = Store(target)
    names = ["'=SUMA(A1)", "''comillas", "'hola", "'", "'3 reuniones", "'@cmd", "Sin apóstrofo"]
    rows = "".join(f'"{name.replace(chr(34), chr(34) * 2)}",2026-03-05T10:00:00-06:00,Cliente\n' for name in names)
    report = import_items(store, store.get_user(1), "tareas", write_csv(tmp_path / "formulas.csv", "Nombre,Fecha,Contacto\n" + rows))
    assert report.inserted == len(names)
    assert sorted(item.name for item in store.list_items(store.get_user(1))) == sorted(
        ["=SUMA(A1)", "'comillas", "'hola", "'", "'3 reuniones", "@cmd", "Sin apóstrofo"])


INSTANTS = [f"{day}{sep}{time}{zone}" for day in ("2026-03-05", "2024-02-29", "2026-02-29", "1900-02-29", "2000-02-29",
                                                  "0000-02-29", "0001-01-01", "2026-04-31", "2026-13-01", "2026-00-10",
                                                  "2026-12-00", "10000-01-01", "00001-01-01", "294247-01-10",
                                                  "294248-01-01", "99999999999999999999-01-01")
            for sep in ("T", " ")
            for time in ("10:00", "00:00:00", "23:59:59", "24:00", "24:00:00", "24:00:00.000", "24:00:00.5", "24:01",
                         "23:60", "23:59:60", "10:00:00.1234567", "10:00:00.9999999", "10:00:00.5", "04:00:54.775806",
                         "04:00:54.775807")
            for zone in ("Z", "z", "+00:00", "-06:00", "+14:59", "-14:59", "+05:30")]


STRINGS = ["ana@example.com", "ana maría@example.com", "a\u00a0b@x.com", "a\u2028@x.co", "a@b.c", "a@@b.c",
           "a\x0bb@x.co", "+52 (55) 1234-5678", "55\u0661234567", "12345", "2026-03-05T10:00:00Z", "\u200b\u3164",
           "x\u0301", "\u0301", "ok", "1" * 16, "1" * 17, "\u0663", "ñandú\tñ", "a\x00b", "a\x01b", *HIDDEN.values()]


def test_postgresql_judges_and_loads_a_file_as_duckdb_does(postgresql_url, tmp_path):
    """The same files give both engines the same report and the same rows: every instant above
    in each date column (any year, 24:00, past the sixth decimal...) and awkward text in every
    text column (NUL included, which PostgreSQL's text cannot hold)."""
    from tests.postgresql import create_database, drop_database

    today = NOW.isoformat()
    tasks = [{"Clase": "Tarea", "Nombre": f"Tarea {k}", "Fecha": instant, "Contacto": f"Cliente {k % 7}",
              "Creada": INSTANTS[(7 * k) % len(INSTANTS)] if k % 5 == 0 else today,
              "Estatus": "Realizada" if k % 2 else "Pendiente",
              "Realizada el": INSTANTS[(11 * k) % len(INSTANTS)] if k % 8 == 1 else (today if k % 2 else "")}
             for k, instant in enumerate(INSTANTS)]
    activities = [{**GOOD, "Desde": INSTANTS[k], "Hasta": INSTANTS[-k - 1]} for k in range(0, len(INSTANTS), 5)]
    texts = [{**GOOD, column: text, "Responsable": "Admin Uno" if column != "Responsable" else text}
             for column in ("Nombre", "Contacto", "Email del contacto", "Empresa", "Oportunidad", "Descripción",
                            "Responsable", "Creada por", "Realizada por", "ID", "Etapa")
             for text in STRINGS]
    items = write_rows(tmp_path / "todo.csv", tasks + activities + texts)
    contacts = tmp_path / "contactos.csv"
    with open(contacts, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Nombre", "Correo electrónico", "Teléfono", "Empresa", "Dueño del contacto"])
        writer.writerows([text, text, text, text, "Admin Uno"] for text in STRINGS)
    url = create_database(postgresql_url)
    results = []
    try:
        for location in (tmp_path / "duckdb.duckdb", url):
            db = open_database(location)
            db.migrate()
            store = Store(db, clock=lambda: NOW)
            admin = make_user(store, "Admin Uno", "admin@example.com", "admin")
            reports = [import_contacts(store, admin, contacts, skip_invalid=True),
                       import_items(store, admin, "todo", items, skip_invalid=True)]
            loaded = db.query("""
                SELECT i.id, i.kind::VARCHAR, i.name, i.activity_type::VARCHAR, i.starts_at, i.due_at, i.status::VARCHAR,
                       i.completed_at, i.created_at, i.description, c.name, c.email, c.phone, i.responsible_id
                FROM items i JOIN contacts c ON c.id = i.contact_id ORDER BY i.id""")
            people = db.query("SELECT id, name, email, phone, owner_id FROM contacts ORDER BY id")
            results.append(([(r.rows, r.inserted, r.updated, r.rejected) for r in reports], loaded, people))
            assert_rollups_agree(db)
            db.close()
    finally:
        drop_database(url)
    on_duckdb, on_postgresql = results
    assert on_postgresql == on_duckdb
    (rows, inserted, _, rejected) = on_duckdb[0][1]
    assert rows == len(tasks + activities + texts) and inserted > 300 and len(rejected) > 2000
