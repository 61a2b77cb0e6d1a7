"""Import activities, tasks or contacts from a CSV with the export's own headers.

The whole file is read by DuckDB into a staging table and checked at once, in SQL, with the
core's rules (the same limits and messages as the forms), so the report names every rejected
line (as a spreadsheet numbers it: the header is line 1) with each field's message. By default
it is all or nothing; ``skip_invalid`` loads the good lines. Contacts are matched by email
(then by name), opportunities by name within their contact, people by name; contacts,
companies and opportunities that do not exist yet are created. A row whose ID exists updates
that item, so importing the same file twice never duplicates anything. Only administrators
import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from escala import access, times
from escala.domain import DESCRIPTION_MAX, NAME_MAX, ActivityType, User, ValidationError
from escala.export import FORMULA_STARTS
from escala.store import Store

KINDS = {"actividades": "Actividad", "tareas": "Tarea"}
ITEM_COLUMNS = ["ID", "Clase", "Nombre", "Tipo", "Desde", "Hasta", "Fecha", "Responsable", "Modo de responsable",
                "Contacto", "Email del contacto", "Empresa", "Oportunidad", "Etapa", "Descripción", "Estatus",
                "Creada", "Creada por", "Realizada el", "Realizada por"]
CONTACT_COLUMNS = ["Nombre", "Correo electrónico", "Teléfono", "Empresa", "Dueño del contacto"]
REQUIRED = {"actividades": ["Nombre", "Tipo", "Desde", "Hasta", "Contacto"], "tareas": ["Nombre", "Fecha", "Contacto"],
            "contactos": ["Nombre"]}


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    written: bool = False

    def summary(self) -> str:
        if not self.written:
            return (f"No se importó nada: {len(self.rejected)} de {self.rows} líneas tienen errores "
                    "(usa --skip-invalid para cargar las válidas).")
        skipped = f", {len(self.rejected)} líneas rechazadas" if self.rejected else ""
        return f"{self.inserted} creadas, {self.updated} actualizadas{skipped} (de {self.rows} líneas)."


def _unescaped(column: str) -> str:
    """SQL: a text cell with the export's formula neutralisation undone."""
    codes = ", ".join(str(ord(c)) for c in FORMULA_STARTS)
    return (f"CASE WHEN ascii(\"{column}\") = 39 AND ascii(substr(\"{column}\", 2)) IN ({codes}) "
            f"THEN substr(\"{column}\", 2) ELSE \"{column}\" END")


def _stage(cursor, path: Path, columns: list[str], kind: str) -> None:
    """Read the CSV (',' or ';', optional BOM, RFC 4180 quoting) into ``staged`` with line numbers."""
    cursor.execute("""CREATE OR REPLACE TEMP TABLE raw_csv AS
        SELECT * FROM read_csv(?, header = true, all_varchar = true, quote = '"', escape = '"',
                               null_padding = false, strict_mode = true, parallel = false)""", [str(path)])
    present = [row[0].lstrip("\ufeff") for row in cursor.execute("DESCRIBE raw_csv").fetchall()]
    missing = [c for c in REQUIRED[kind] if c not in present]
    if missing:
        raise ValidationError({"file": "Faltan columnas: " + ", ".join(missing) + ". Usa los encabezados de la exportación."})
    renames = {row: row.lstrip("\ufeff") for row in present}
    select = []
    for column in columns:
        source = next((original for original, clean in renames.items() if clean == column), None)
        if source is None:
            select.append(f'NULL::VARCHAR AS "{column}"')
        else:
            source = source.replace('"', '""')
            select.append(f'nullif(trim({_unescaped(source)}), \'\') AS "{column}"' if column not in ("Descripción",)
                          else f'coalesce({_unescaped(source)}, \'\') AS "{column}"')
    # sql-ok: column names come from our fixed header lists (and the file's own, quoted)
    cursor.execute(f"""CREATE OR REPLACE TEMP TABLE staged AS
        SELECT row_number() OVER () + 1 AS line, {", ".join(select)} FROM raw_csv""")


def _judge(cursor, report: ImportReport, skip_invalid: bool) -> bool:
    """Fill the report from ``verdicts`` (first message per field); True if loading goes ahead."""
    report.rows = cursor.execute("SELECT count(*) FROM staged").fetchone()[0]
    report.rejected = [(line, {e["field"]: e["message"] for e in reversed(errors)})
                       for line, errors in cursor.execute(
                           "SELECT line, errors FROM verdicts WHERE len(errors) > 0 ORDER BY line").fetchall()]
    return not report.rejected or skip_invalid


def _people(cursor) -> None:
    cursor.execute("""CREATE OR REPLACE TEMP TABLE people AS
        SELECT lower(name) AS key, min(id) AS id, count(*) AS n, bool_or(role <> 'analyst') AS can_work
        FROM users GROUP BY 1""")


def import_items(store: Store, actor: User, kind: str, path: Path, skip_invalid: bool = False) -> ImportReport:
    """Import ``actividades`` or ``tareas`` from ``path``; see the module's docstring."""
    access.require_admin(actor, "importar datos")
    clase = KINDS[kind]
    report = ImportReport(kind)
    types = ", ".join(f"'{t.value}'" for t in ActivityType)
    db = store.db
    with db.transaction() as cursor:
        _stage(cursor, path, ITEM_COLUMNS, kind)
        _people(cursor)
        start = "Desde" if clase == "Actividad" else "Fecha"
        end = "Hasta" if clase == "Actividad" else "Fecha"
        cursor.execute(f"""CREATE OR REPLACE TEMP TABLE checked AS
            SELECT s.*,
                   try_cast(s."ID" AS BIGINT) AS item_id,
                   timezone('UTC', try_cast(s."{start}" AS TIMESTAMPTZ)) AS starts_at,
                   timezone('UTC', try_cast(s."{end}" AS TIMESTAMPTZ)) AS due_at,
                   timezone('UTC', try_cast(s."Creada" AS TIMESTAMPTZ)) AS created_at,
                   timezone('UTC', try_cast(s."Realizada el" AS TIMESTAMPTZ)) AS completed_at,
                   coalesce(s."Modo de responsable", 'Dueño del contacto') AS mode,
                   coalesce(s."Estatus", 'Pendiente') AS status,
                   r.id AS named_id, r.n AS named_count, r.can_work AS named_can_work,
                   cb.id AS created_by, db.id AS completed_by
            FROM staged s
            LEFT JOIN people r ON r.key = lower(s."Responsable")
            LEFT JOIN people cb ON cb.key = lower(s."Creada por")
            LEFT JOIN people db ON db.key = lower(s."Realizada por")""")  # sql-ok: fixed column names
        rules = [
            ("name", "\"Nombre\" IS NULL", "El nombre es obligatorio."),
            ("name", f"length(\"Nombre\") > {NAME_MAX}", f"El nombre admite como máximo {NAME_MAX} caracteres."),
            ("kind", f"\"Clase\" IS NOT NULL AND \"Clase\" <> '{clase}'", f"Esta importación solo admite filas de Clase {clase}."),
            ("activity_type", f"'{clase}' = 'Actividad' AND (\"Tipo\" IS NULL OR \"Tipo\" NOT IN ({types}))",
             "Tipo no válido: elige Webinar, Evento, Llamada, Reunión u Otro."),
            ("activity_type", f"'{clase}' = 'Tarea' AND \"Tipo\" IS NOT NULL", "Las tareas no tienen tipo."),
            ("start", "starts_at IS NULL", f"{start}: fecha y hora no válidas (ISO 8601, p. ej. 2026-03-05T10:00:00-06:00)."),
            ("end", "due_at IS NULL", f"{end}: fecha y hora no válidas (ISO 8601, p. ej. 2026-03-05T11:00:00-06:00)."),
            ("end", "due_at < starts_at", "Hasta no puede ser anterior a Desde."),
            ("responsible", "mode NOT IN ('Dueño del contacto', 'Un usuario específico', 'No asignar')",
             "Modo de responsable no válido: Dueño del contacto, Un usuario específico o No asignar."),
            ("responsible", "mode = 'Un usuario específico' AND (named_id IS NULL OR NOT named_can_work)",
             "Responsable: no hay un vendedor o administrador con ese nombre."),
            ("responsible", "\"Responsable\" IS NOT NULL AND named_count > 1",
             "Responsable: hay varios usuarios con ese nombre."),
            ("contact", "\"Contacto\" IS NULL AND \"Email del contacto\" IS NULL", "El contacto es obligatorio."),
            ("description", f"length(\"Descripción\") > {DESCRIPTION_MAX}",
             f"La descripción admite como máximo {DESCRIPTION_MAX:,} caracteres.".replace(",", ".")),
            ("status", "status NOT IN ('Pendiente', 'Realizada')", "Estatus no válido: elige Pendiente o Realizada."),
            ("created_at", "\"Creada\" IS NOT NULL AND created_at IS NULL", "Creada: fecha y hora no válidas."),
            ("completed_at", "\"Realizada el\" IS NOT NULL AND completed_at IS NULL", "Realizada el: fecha y hora no válidas."),
            ("stage", "\"Etapa\" IS NOT NULL AND \"Etapa\" NOT IN ('Prospecto', 'Calificada', 'Propuesta', "
                      "'Negociación', 'Ganada', 'Perdida')", "Etapa no válida."),
        ]
        checks = ", ".join(f"CASE WHEN {condition} THEN {{'field': '{name}', 'message': '{message}'}} END"
                           for name, condition, message in (
                               (n, c, m.replace("'", "''")) for n, c, m in rules))
        cursor.execute(f"""CREATE OR REPLACE TEMP TABLE verdicts AS
            SELECT line, list_filter([{checks}], lambda x: x IS NOT NULL) AS errors FROM checked""")  # sql-ok
        if not _judge(cursor, report, skip_invalid):
            return report
        _load_items(store, cursor, actor, clase, report)
        report.written = True
    store._committed()
    return report


def _load_items(store: Store, cursor, actor: User, clase: str, report: ImportReport) -> None:
    """Insert or update the valid rows, creating missing companies, contacts and opportunities."""
    now = times.to_db(store.clock())
    db = store.db
    cursor.execute("""CREATE OR REPLACE TEMP TABLE good AS
        SELECT c.* FROM checked c JOIN verdicts v USING (line) WHERE len(v.errors) = 0""")
    # companies
    cursor.execute("""CREATE OR REPLACE TEMP TABLE new_companies AS
        SELECT DISTINCT "Empresa" AS name FROM good
        WHERE "Empresa" IS NOT NULL AND lower("Empresa") NOT IN (SELECT name_key FROM companies)""")
    _insert_with_ids(cursor, db, "companies", "new_companies",
                     "SELECT id, name, lower(name) FROM numbered", order="lower(name)")
    # contacts: by email, else by name; a new one is owned by the first row's responsible in owner mode
    _match_contacts(cursor)
    cursor.execute("""CREATE OR REPLACE TEMP TABLE new_contacts AS
        SELECT lower(coalesce(g."Email del contacto", g."Contacto")) AS key,
               arg_min(coalesce(g."Contacto", g."Email del contacto"), g.line) AS name,
               arg_min(lower(g."Email del contacto"), g.line) AS email,
               arg_min(g."Empresa", g.line) AS company,
               arg_min(CASE WHEN g.mode = 'Dueño del contacto' AND g.named_can_work THEN g.named_id END, g.line) AS owner_id,
               min(g.line) AS first_line
        FROM good g JOIN good_contacts gc USING (line)
        WHERE gc.contact_id IS NULL GROUP BY 1""")
    if _insert_with_ids(cursor, db, "contacts", "new_contacts", """
        SELECT n.id, n.name, n.email, NULL, co.id, n.owner_id, ?, ?, ?
        FROM numbered n LEFT JOIN companies co ON co.name_key = lower(n.company)""",
                        order="first_line", params=[now, actor.id, now]):
        _match_contacts(cursor)
    # opportunities: by name within the contact
    cursor.execute("""CREATE OR REPLACE TEMP TABLE known_opportunities AS
        SELECT contact_id, lower(name) AS key, min(id) AS id FROM opportunities GROUP BY ALL""")
    cursor.execute("""CREATE OR REPLACE TEMP TABLE new_opportunities AS
        SELECT gc.contact_id, g."Oportunidad" AS name, arg_min(g."Etapa", g.line) AS stage, min(g.line) AS first_line
        FROM good g JOIN good_contacts gc USING (line)
        ANTI JOIN known_opportunities k ON k.contact_id = gc.contact_id AND k.key = lower(g."Oportunidad")
        WHERE g."Oportunidad" IS NOT NULL
        GROUP BY 1, 2""")
    if _insert_with_ids(cursor, db, "opportunities", "new_opportunities",
                        "SELECT id, name, contact_id, coalesce(stage, 'Prospecto'), 0, ? FROM numbered",
                        order="first_line", params=[now]):
        cursor.execute("""CREATE OR REPLACE TEMP TABLE known_opportunities AS
            SELECT contact_id, lower(name) AS key, min(id) AS id FROM opportunities GROUP BY ALL""")
    cursor.execute(f"""CREATE OR REPLACE TEMP TABLE ready AS
        SELECT g.item_id, g.line, '{clase}' AS kind, g."Nombre" AS name, g."Tipo" AS activity_type,
               g.starts_at, g.due_at, g.mode,
               CASE g.mode WHEN 'Dueño del contacto' THEN c.owner_id
                           WHEN 'Un usuario específico' THEN g.named_id END AS responsible_id,
               c.id AS contact_id, c.owner_id AS contact_owner_id, k.id AS opportunity_id,
               g."Descripción" AS description, g.status,
               CASE WHEN g.status = 'Realizada' THEN coalesce(g.completed_at, ?::TIMESTAMP) END AS completed_at,
               CASE WHEN g.status = 'Realizada' THEN coalesce(g.completed_by, ?) END AS completed_by,
               coalesce(g.created_at, ?::TIMESTAMP) AS created_at, coalesce(g.created_by, ?) AS created_by
        FROM good g JOIN good_contacts gc USING (line) JOIN contacts c ON c.id = gc.contact_id
        LEFT JOIN known_opportunities k ON k.contact_id = c.id AND k.key = lower(g."Oportunidad")""",  # sql-ok
                   [now, actor.id, now, actor.id])
    columns = ("kind, name, activity_type, starts_at, due_at, responsible_mode, responsible_id, contact_id, "
               "contact_owner_id, opportunity_id, description, status, completed_at, completed_by, created_at, "
               "created_by")
    values = ("r.kind, r.name, r.activity_type, r.starts_at, r.due_at, r.mode, r.responsible_id, r.contact_id, "
              "r.contact_owner_id, r.opportunity_id, r.description, r.status, r.completed_at, r.completed_by, "
              "r.created_at, r.created_by")
    cursor.execute("""CREATE OR REPLACE TEMP TABLE landed AS
        SELECT line, item_id AS id, 'update' AS action FROM ready WHERE item_id IN (SELECT id FROM items)""")
    assignments = ", ".join(f"{name} = r.{name}" for name in columns.replace("responsible_mode", "mode").split(", "))
    assignments = assignments.replace("mode = r.mode", "responsible_mode = r.mode")
    report.updated = cursor.execute(f"""
        UPDATE items SET {assignments}, updated_at = ?
        FROM ready r WHERE r.item_id = items.id AND items.id IN (SELECT id FROM landed)""",
                                    [now]).fetchone()[0]  # sql-ok: fixed column lists
    (needed,) = cursor.execute("""SELECT count(*) FROM ready
        WHERE item_id IS NULL OR item_id NOT IN (SELECT id FROM items)""").fetchone()
    if needed:  # rows without an ID of their own get fresh ones, above every ID the file names
        cursor.execute("""UPDATE id_counters SET last_id = greatest(last_id, (SELECT coalesce(max(item_id), 0) FROM ready))
                          WHERE name = 'items'""")
        first = db.next_ids(cursor, "items", needed)
        cursor.execute("""INSERT INTO landed
            SELECT line, coalesce(item_id, ? - 1 + row_number() OVER (PARTITION BY item_id IS NULL ORDER BY line)),
                   'create'
            FROM ready WHERE item_id IS NULL OR item_id NOT IN (SELECT id FROM items)""", [first])
    report.inserted = cursor.execute(f"""
        INSERT INTO items (id, {columns}, updated_at)
        SELECT l.id, {values}, ?
        FROM ready r JOIN landed l ON l.line = r.line AND l.action = 'create' ORDER BY r.line""",
                                     [now]).fetchone()[0]  # sql-ok: fixed column lists
    cursor.execute("""UPDATE id_counters SET last_id = greatest(last_id, (SELECT coalesce(max(id), 0) FROM items))
                      WHERE name = 'items'""")
    _audit_landed(cursor, db, actor, now, "item", report)


def _match_contacts(cursor) -> None:
    """good_contacts(line, contact_id): each good row's contact by email, else (no email) by name."""
    cursor.execute("""CREATE OR REPLACE TEMP TABLE good_contacts AS
        SELECT g.line, CASE WHEN g."Email del contacto" IS NOT NULL THEN by_email.id ELSE by_name.id END AS contact_id
        FROM good g
        LEFT JOIN (SELECT email, min(id) AS id FROM contacts WHERE email IS NOT NULL GROUP BY 1) by_email
               ON by_email.email = lower(g."Email del contacto")
        LEFT JOIN (SELECT lower(name) AS key, min(id) AS id FROM contacts GROUP BY 1) by_name
               ON by_name.key = lower(g."Contacto")""")


def _insert_with_ids(cursor, db, table: str, source: str, select: str, order: str, params: list | None = None) -> int:
    """Insert ``source``'s rows into ``table`` with fresh ids from the counter."""
    (count,) = cursor.execute(f"SELECT count(*) FROM {source}").fetchone()  # sql-ok: our temp table names
    if not count:
        return 0
    first = db.next_ids(cursor, table, count)
    cursor.execute(f"""CREATE OR REPLACE TEMP TABLE numbered AS
        SELECT ? - 1 + row_number() OVER (ORDER BY {order}) AS id, * FROM {source}""", [first])  # sql-ok
    cursor.execute(f"INSERT INTO {table} {select}", params or [])  # sql-ok: fixed per caller
    return count


def import_contacts(store: Store, actor: User, path: Path, skip_invalid: bool = False) -> ImportReport:
    """Contacts: Nombre, Correo electrónico, Teléfono, Empresa, Dueño del contacto (a name).
    A known email updates that contact (the CRM's registration rule) instead of duplicating it."""
    access.require_admin(actor, "importar datos")
    report = ImportReport("contactos")
    db = store.db
    now = times.to_db(store.clock())
    with db.transaction() as cursor:
        _stage(cursor, path, CONTACT_COLUMNS, "contactos")
        _people(cursor)
        cursor.execute("""CREATE OR REPLACE TEMP TABLE checked AS
            SELECT s.*, lower(s."Correo electrónico") AS email, o.id AS owner_id, o.n AS owner_count,
                   o.can_work AS owner_can_work
            FROM staged s LEFT JOIN people o ON o.key = lower(s."Dueño del contacto")""")
        cursor.execute(f"""CREATE OR REPLACE TEMP TABLE verdicts AS
            SELECT line, list_filter([
                CASE WHEN "Nombre" IS NULL THEN {{'field': 'name', 'message': 'El nombre es obligatorio.'}} END,
                CASE WHEN length("Nombre") > {NAME_MAX} THEN {{'field': 'name', 'message': 'El nombre admite como máximo {NAME_MAX} caracteres.'}} END,
                CASE WHEN email IS NOT NULL AND NOT regexp_full_match(email, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+')
                     THEN {{'field': 'email', 'message': 'Correo electrónico no válido (ejemplo: nombre@empresa.com).'}} END,
                CASE WHEN "Teléfono" IS NOT NULL AND NOT regexp_full_match("Teléfono", '\\+?[0-9 ()\\-.]{{6,25}}')
                     THEN {{'field': 'phone', 'message': 'Teléfono no válido: usa dígitos, espacios, +, -, ( ).'}} END,
                CASE WHEN "Dueño del contacto" IS NOT NULL AND (owner_id IS NULL OR NOT owner_can_work OR owner_count > 1)
                     THEN {{'field': 'owner', 'message': 'Dueño del contacto: no hay un único vendedor o administrador con ese nombre.'}} END,
                CASE WHEN email IS NOT NULL AND count(*) OVER (PARTITION BY email) > 1
                     THEN {{'field': 'email', 'message': 'Ese correo aparece en más de una línea del archivo.'}} END
            ], lambda x: x IS NOT NULL) AS errors FROM checked""")  # sql-ok: constants only
        if not _judge(cursor, report, skip_invalid):
            return report
        cursor.execute("""CREATE OR REPLACE TEMP TABLE good AS
            SELECT c.*, (SELECT min(id) FROM contacts k WHERE k.email = c.email) AS existing
            FROM checked c JOIN verdicts v USING (line) WHERE len(v.errors) = 0""")
        cursor.execute("""CREATE OR REPLACE TEMP TABLE new_companies AS
            SELECT DISTINCT "Empresa" AS name FROM good
            WHERE "Empresa" IS NOT NULL AND lower("Empresa") NOT IN (SELECT name_key FROM companies)""")
        _insert_with_ids(cursor, db, "companies", "new_companies",
                         "SELECT id, name, lower(name) FROM numbered", order="lower(name)")
        report.updated = cursor.execute("""
            UPDATE contacts SET name = g."Nombre", phone = coalesce(g."Teléfono", contacts.phone),
                   company_id = coalesce(co.id, contacts.company_id), owner_id = coalesce(g.owner_id, contacts.owner_id),
                   updated_at = ?
            FROM good g LEFT JOIN companies co ON co.name_key = lower(g."Empresa")
            WHERE g.existing = contacts.id""", [now]).fetchone()[0]
        cursor.execute("""UPDATE items SET contact_owner_id = c.owner_id,
                   responsible_id = CASE WHEN items.responsible_mode = 'Dueño del contacto' THEN c.owner_id
                                         ELSE items.responsible_id END
            FROM contacts c WHERE c.id = items.contact_id AND c.id IN (SELECT existing FROM good)
              AND items.contact_owner_id IS DISTINCT FROM c.owner_id""")
        cursor.execute("CREATE OR REPLACE TEMP TABLE new_contacts AS SELECT * FROM good WHERE existing IS NULL")
        report.inserted = _insert_with_ids(cursor, db, "contacts", "new_contacts", """
            SELECT n.id, n."Nombre", n.email, n."Teléfono", co.id, n.owner_id, ?, ?, ?
            FROM numbered n LEFT JOIN companies co ON co.name_key = lower(n."Empresa")""",
                                           order="line", params=[now, actor.id, now])
        cursor.execute("""CREATE OR REPLACE TEMP TABLE landed AS
            SELECT line, existing AS id, 'update' AS action FROM good WHERE existing IS NOT NULL""")
        if report.inserted:
            cursor.execute("INSERT INTO landed SELECT line, id, 'create' FROM numbered")
        _audit_landed(cursor, db, actor, now, "contact", report)
        report.written = True
    store._committed()
    return report


def _audit_landed(cursor, db, actor: User, now, entity: str, report: ImportReport) -> None:
    """One audit row per imported row (create or update), written in SQL."""
    (count,) = cursor.execute("SELECT count(*) FROM landed").fetchone()
    if count:
        start = db.next_ids(cursor, "audit_log", count)
        cursor.execute("""INSERT INTO audit_log
            SELECT ? - 1 + row_number() OVER (ORDER BY line), ?, ?, action, ?, id, ? FROM landed""",
                       [start, now, actor.id, entity, json.dumps({"import": [None, report.kind]})])
