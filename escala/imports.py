"""Import activities, tasks or contacts from a CSV with the export's own headers.

The whole file is read into a staging table by DuckDB's CSV reader and checked at once in
SQL, with the core's rules (the same limits and messages as the forms, every CHECK of the
schema), so the report names every rejected line (as a spreadsheet numbers it: the header is
line 1) with each field's message, and no constraint error ever reaches the user. It all runs
on DuckDB, where the file is read (the engine's ``file_stage``: the DuckDB cursor itself, or
on PostgreSQL a private in-memory DuckDB), so every verdict is DuckDB's on both engines: first
the rules that need only the file, then, under the writer lock, the rules that need the
database, and the load, one set of SQL over the database's tables (on PostgreSQL, copies in
the stage of the rows the import reads, ``ITEM_NEEDS``, whose changes are written back by
``load_stage``). By default it is all or nothing; ``skip_invalid``
loads the good lines. Contacts are matched by email (then by name), opportunities by name
within their contact, people by name; contacts, companies and opportunities that do not
exist yet are created. A row whose ID exists updates that item, so importing the same file
twice never duplicates anything. Only administrators import.

Reading the file and its own rules run outside the writer lock, so a long import does not
make sign-ins and saves wait for that part; the rules that depend on other tables (users,
existing items) and the load run inside it, so the load stays all-or-nothing and correct.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from escala import access, rollups, times
from escala.db import BaseDatabase
from escala.domain import (DESCRIPTION_MAX, EARLIEST, FORBIDDEN_MESSAGE, FORBIDDEN_SQL, FORBIDDEN_SQL_MULTILINE, LATEST,
                           NAME_MAX, PHONE_RE, RANGE_MESSAGE, VISIBLE_SQL, ActivityType, Kind, ResponsibleMode, Stage,
                           Status, User, ValidationError, email_error, format_int, plural, text_error)
from escala.engines import CsvUnreadable, operations_of
from escala.export import starts_formula
from escala.store import Store

log = logging.getLogger(__name__)

KINDS = {"actividades": Kind.ACTIVITY, "tareas": Kind.TASK, "todo": None}  # "todo": each row's Clase decides
ITEM_COLUMNS = ["ID", "Clase", "Nombre", "Tipo", "Desde", "Hasta", "Fecha", "Responsable", "Modo de responsable",
                "Contacto", "Email del contacto", "Empresa", "Oportunidad", "Etapa", "Descripción", "Estatus",
                "Creada", "Creada por", "Realizada el", "Realizada por"]
CONTACT_COLUMNS = ["Nombre", "Correo electrónico", "Teléfono", "Empresa", "Dueño del contacto"]


@dataclass(frozen=True)
class Need:
    """What a load reads of one table and what it writes there, for an engine whose load stage
    is a copy (PostgreSQL's ``load_stage``; on DuckDB the stage is the database). ``rows``:
    SQL over the table choosing the rows the load reads, with one ``?`` per list (an array);
    ``lists``: SQL on the stage giving each list's values (a list may read a table copied
    before it); ``writes``: None (only read), ``counters`` (id_counters' new values), ``new``
    (the rows whose id is above the table's counter as read), ``rewrite`` (the rows the load
    added or changed, replacing what was read of them) or ``all`` (every row of the stage's:
    it starts empty)."""

    table: str
    rows: str = "TRUE"
    lists: tuple[str, ...] = ()
    writes: str | None = None


# a column equal to one of a list's texts lower-cased by the server: with the same list lower-cased
# by DuckDB (which judges), the rows either would match, should their lower() ever differ
_LOWERED = "{} = ANY(SELECT lower(listed) FROM unnest(?::TEXT[]) AS raw(listed))"
SHARED_NEEDS = (Need("meta"), Need("users"), Need("id_counters", writes="counters"),
                Need("companies", "name_key = ANY(?::TEXT[])", ('SELECT lower("Empresa") FROM checked',), "new"))
WRITTEN_NEEDS = (Need("due_soon", "id = ANY(?::BIGINT[])", ("SELECT id FROM items",), "rewrite"),
                 Need("audit_log", "FALSE", writes="all"), Need("rollup_delta", "FALSE", writes="all"))
ITEM_NEEDS = (  # the items the file names, the contacts and companies it names, their opportunities
    *SHARED_NEEDS,
    Need("items", "id = ANY(?::BIGINT[])", ("SELECT item_id FROM checked",), "rewrite"),
    Need("contacts", f"email = ANY(?::TEXT[]) OR lower(name) = ANY(?::TEXT[]) OR {_LOWERED.format('email')} "
         f"OR {_LOWERED.format('lower(name)')}",
         ('SELECT lower("Email del contacto") FROM checked', 'SELECT lower("Contacto") FROM checked',
          'SELECT "Email del contacto" FROM checked', 'SELECT "Contacto" FROM checked'), "new"),
    Need("opportunities", "contact_id = ANY(?::INTEGER[]) OR id = ANY(?::INTEGER[])",
         ("SELECT id FROM contacts", "SELECT opportunity_id FROM items"), "new"),
    *WRITTEN_NEEDS,
)
CONTACT_NEEDS = (  # the contacts the file names by email, their items and those items' opportunities
    *SHARED_NEEDS,
    Need("contacts", f"email = ANY(?::TEXT[]) OR {_LOWERED.format('email')}",
         ("SELECT email FROM checked", 'SELECT "Correo electrónico" FROM checked'), "rewrite"),
    Need("items", "contact_id = ANY(?::INTEGER[])", ("SELECT id FROM contacts",), "rewrite"),
    Need("opportunities", "id = ANY(?::INTEGER[])", ("SELECT opportunity_id FROM items",)),
    *WRITTEN_NEEDS,
)
REQUIRED = {"actividades": ["Nombre", "Tipo", "Desde", "Hasta", "Contacto"], "tareas": ["Nombre", "Fecha", "Contacto"],
            "todo": ["Clase", "Nombre", "Contacto"], "contactos": ["Nombre"]}
ID_MAX = 2**53 - 1  # the largest whole number a browser shows exactly
ID_PATTERN = "[0-9]{1,16}"  # digits that fit a BIGINT (ID_MAX has 16)
PHONE_COLUMN = '"Teléfono"'
CLI_SKIP_HINT = "usa --skip-invalid para cargar las válidas"

# ISO 8601 with an explicit offset (Z or ±hh:mm), as the export writes it; 'T' or a space.
_ISO_TIME = r"\d{4,}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?"
ISO_PATTERN = _ISO_TIME + r"([Zz]|[+-](0\d|1[0-4]):[0-5]\d)"
EXAMPLE_TIME = "2026-03-05T10:00:00-06:00"
EMAIL_SQL = r"[^@\s\p{Z}]+@[^@\s\p{Z}]+\.[^@\s\p{Z}]+"  # domain.EMAIL_RE, Unicode's separators as spaces too


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    written: bool = False

    def summary(self, how_to_skip: str = CLI_SKIP_HINT) -> str:
        """One line for the user; ``how_to_skip`` says how to load only the valid lines where
        the user is (the CLI's --skip-invalid by default, the page's checkbox there)."""
        if not self.written:
            wrong = "tiene errores" if len(self.rejected) == 1 else "tienen errores"
            return (f"No se importó nada: {format_int(len(self.rejected))} de {plural(self.rows, 'línea', 'líneas')} "
                    f"{wrong} ({how_to_skip}).")
        skipped = f", {plural(len(self.rejected), 'línea rechazada', 'líneas rechazadas')}" if self.rejected else ""
        return (f"{plural(self.inserted, 'creada', 'creadas')}, {plural(self.updated, 'actualizada', 'actualizadas')}"
                f"{skipped} (de {plural(self.rows, 'línea', 'líneas')}).")


# ---------------------------------------------------------------- reading the file


def _unescaped(ops, column: str) -> str:
    """SQL: a text cell with the export's formula neutralisation undone (``unescape_cell``):
    a ``'`` (its first character compared as such: no collation decides) before a formula start."""
    return (f"CASE WHEN substr({column}, 1, 1) = '''' AND {starts_formula(f'substr({column}, 2)', ops)} "
            f"THEN substr({column}, 2) ELSE {column} END")


def _temp_table(cursor, name: str, select: str, params: list | tuple = ()) -> None:
    """The import's temporary table ``name`` made anew from ``select`` (the engine knows how)."""
    operations_of(cursor).replace_temp_table(cursor, name, select, params)


def _file_stage(cursor):
    """Where the file is read and every rule judged, and the rows loaded (the engine's
    ``file_stage``; ``_loading`` makes it ready for the rules that need the database)."""
    return operations_of(cursor).file_stage(cursor)


def _header(path: Path) -> tuple[list[str], str]:
    """The file's column names and its separator (',' or ';'), read from its first line."""
    with open(path, "rb") as handle:
        first = handle.readline(1 << 20)
    try:
        line = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValidationError({"file": _NOT_UTF8}) from None
    if not line.strip():
        raise ValidationError({"file": "El archivo está vacío: la primera línea debe tener los encabezados."})
    by_comma, by_semicolon = (next(csv.reader([line], delimiter=d)) for d in (",", ";"))
    separator, names = (";", by_semicolon) if len(by_semicolon) > len(by_comma) else (",", by_comma)
    names = [name.strip() for name in names]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise ValidationError({"file": "Encabezados repetidos: " + ", ".join(repeated) + "."})
    return names, separator


_NOT_UTF8 = "El archivo no está en UTF-8: guárdalo como «CSV UTF-8» e inténtalo de nuevo."


def _csv_problem(error: CsvUnreadable) -> str:
    """The engine's reading error as one Spanish sentence, with the line but never a path."""
    where = f"línea {error.line}: " if error.line is not None else ""
    if error.problem == "columns":
        return f"No se pudo leer el archivo ({where}tiene {error.found} columnas y el encabezado {error.expected})."
    if error.problem == "encoding":
        return _NOT_UTF8
    if error.problem == "quote":
        return f"No se pudo leer el archivo ({where}un valor entre comillas no se cierra bien)."
    return "No se pudo leer el archivo como CSV (revisa las comillas y que todas las líneas terminen igual)."


def _quotes_balanced(path: Path) -> bool:
    """Every quoted value closes (DuckDB's strict reader stops silently at one that does not)."""
    count = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 24):
            count += chunk.count(b'"')
    return count % 2 == 0


def _stage(cursor, path: Path, columns: list[str], kind: str) -> None:
    """Read the CSV (',' or ';', optional BOM, RFC 4180 quoting) into ``staged`` with line numbers.
    Missing optional columns are NULL (Descripción: empty); trimmed empty cells are NULL."""
    names, separator = _header(path)
    missing = [c for c in REQUIRED[kind] if c not in names]
    if missing:
        raise ValidationError({"file": "Faltan columnas: " + ", ".join(missing) + ". Usa los encabezados de la exportación."})
    if not _quotes_balanced(path):
        raise ValidationError({"file": "No se pudo leer el archivo: hay un valor entre comillas que no se cierra."})
    ops = operations_of(cursor)
    try:
        ops.stage_csv(cursor, path, len(names), separator)
    except CsvUnreadable as error:
        raise ValidationError({"file": _csv_problem(error)}) from None
    select = []
    for column in columns:
        if column not in names:
            select.append(f"{_literal('' if column == 'Descripción' else None)}::VARCHAR AS \"{column}\"")
            continue
        source = f"c{names.index(column)}"
        select.append(f"coalesce({_unescaped(ops, source)}, '') AS \"{column}\"" if column == "Descripción"
                      else f"nullif(trim({_unescaped(ops, source)}), '') AS \"{column}\"")
    _temp_table(cursor, "staged", f"SELECT line, {', '.join(select)} FROM raw_lines")  # sql-ok: our header lists


# ---------------------------------------------------------------- rules as SQL


Rule = tuple[str, str, str]  # (field, SQL condition, SQL expression of the Spanish message)


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _rule(field_name: str, condition: str, message: str) -> Rule:
    return field_name, condition, _literal(message)


def _text_rules(ops, column: str, field_name: str, label: str, maximum: int = NAME_MAX, required: bool = False,
                multiline: bool = False) -> list[Rule]:
    """domain.text_error in SQL, with its own messages: length, forbidden characters, and a
    value that shows something (when given; ``required``: also when missing)."""
    c = f'"{column}"'
    rules = [_rule(field_name, f"{c} IS NULL", text_error("", label, maximum, required=True))] if required else []
    forbidden = FORBIDDEN_SQL_MULTILINE if multiline else FORBIDDEN_SQL
    rules += [
        (field_name, f"length({c}) > {maximum}", _too_long(ops, c, label, maximum)),
        _rule(field_name, ops.regexp_matches(c, forbidden), f"{label} {FORBIDDEN_MESSAGE}"),
    ]
    if not multiline:
        rules.append(_rule(field_name, f"NOT {ops.regexp_matches(c, VISIBLE_SQL)}",
                           text_error("\u200b", label, maximum, required=True)))
    return rules


def _too_long(ops, value: str, label: str, maximum: int) -> str:
    """SQL: text_error's length message for the SQL expression ``value`` (with its length)."""
    message = text_error("x" * (maximum + 1), label, maximum, required=False)
    head = message[:message.rindex("(tiene ") + len("(tiene ")]
    return f"{_literal(head)} || {ops.thousands(f'length({value})')} || ').'"


def _email_rules(ops, column: str, field_name: str = "email") -> list[Rule]:
    """domain.email_error in SQL (the column is already lower-cased where it is stored)."""
    c = f'"{column}"'
    bad = f"length({c}) > 254 OR NOT {ops.regexp_full_match(c, EMAIL_SQL)} OR {ops.regexp_matches(c, FORBIDDEN_SQL)}"
    return [_rule(field_name, bad, email_error("no-es-correo", required=False))]


def _instant(ops, column: str) -> str:
    """SQL: the cell as a naive UTC instant, only if it is ISO 8601 with an offset, else NULL."""
    c = f'"{column}"'
    return f"CASE WHEN {ops.regexp_full_match(c, ISO_PATTERN)} THEN {ops.try_instant(c)} END"


def _instant_rules(ops, column: str, field_name: str, typed: str, used: str = "TRUE",
                   required: bool = False) -> list[Rule]:
    """A date column's rules where ``used`` holds: given (if ``required``), with its offset,
    a real instant (no 'infinity' or 'epoch'), inside Escala's range."""
    c = f'"{column}"'
    earliest, latest = (_literal(str(times.to_db(moment))) for moment in (EARLIEST, LATEST))
    rules = [_rule(field_name, f"{used} AND {c} IS NULL", f"{column}: indica la fecha y la hora.")] if required else []
    return rules + [
        _rule(field_name, f"{used} AND {c} IS NOT NULL AND {typed} IS NULL AND {ops.regexp_full_match(c, _ISO_TIME)}",
              f"{column}: indica la zona horaria (p. ej. {EXAMPLE_TIME})."),
        _rule(field_name, f"{used} AND {c} IS NOT NULL AND {typed} IS NULL",
              f"{column}: fecha y hora no válidas (ISO 8601 con zona horaria, p. ej. {EXAMPLE_TIME})."),
        _rule(field_name, f"{used} AND ({typed} < {earliest}::TIMESTAMP OR {typed} >= {latest}::TIMESTAMP)",
              f"{column}: {RANGE_MESSAGE[0].lower()}{RANGE_MESSAGE[1:]}"),
    ]


def _one_of(column: str, values) -> str:
    return f'"{column}" NOT IN ({", ".join(_literal(str(v)) for v in values)})'


# A line's verdict is text: for each rule it breaks, in order, the field, FIELD_END, the
# message and MESSAGE_END (the messages are ours, never the file's text); '' if it breaks none.
FIELD_END, MESSAGE_END = "\x1f", "\x1e"


def _errors(rules: list[Rule]) -> str:
    """SQL: a row's verdict, every rule it breaks in the rules' order (rules are our own
    constants; values in them are quoted literals)."""
    checks = [f"CASE WHEN {condition} THEN '{name}' || chr({ord(FIELD_END)}) || {message} "
              f"|| chr({ord(MESSAGE_END)}) END" for name, condition, message in rules]
    return " || ".join(f"concat({', '.join(checks[k:k + 50])})" for k in range(0, len(checks), 50))  # 100 arguments at most


def _verdicts(cursor, table: str, source: str, rules: list[Rule]) -> None:
    """``table(line, errors)``: every rule that ``source``'s row breaks, in the rules' order."""
    _temp_table(cursor, table, f"SELECT line, {_errors(rules)} AS errors FROM {source}")  # sql-ok: our rules


def _resolve(cursor, found: dict[str, str], joins: str, rules: list[Rule]) -> None:
    """``resolved``: for each line of ``checked`` (``c``) what the database says of it (``found``:
    a name for each expression over ``c`` and the tables ``joins`` adds) and its whole verdict,
    the file's rules (``file_verdicts``) then ``rules`` (over both); ``good``: the lines without
    errors, checked and resolved. One pass over the file's rows for each table."""
    names = ", ".join(found)
    expressions = ", ".join(f"{expression} AS {name}" for name, expression in found.items())  # sql-ok: ours
    _temp_table(cursor, "resolved", f"""
        SELECT line, {names}, f.errors || {_errors(rules)} AS errors
        FROM (SELECT c.*, {expressions} FROM checked c {joins}) AS seen
        JOIN file_verdicts f USING (line)""")  # sql-ok: our names and rules
    _temp_table(cursor, "good", "SELECT * FROM checked JOIN resolved USING (line) WHERE errors = ''")


def _judge(cursor, report: ImportReport, skip_invalid: bool) -> bool:
    """Fill the report from the lines' verdicts (first message per field); True if loading goes ahead."""
    report.rows = cursor.execute("SELECT count(*) FROM checked").fetchone()[0]
    report.rejected = []
    for line, errors in cursor.execute("SELECT line, errors FROM resolved WHERE errors <> '' ORDER BY line").fetchall():
        broken = [verdict.split(FIELD_END, 1) for verdict in errors.split(MESSAGE_END)[:-1]]
        report.rejected.append((line, {name: message for name, message in reversed(broken)}))
    return not report.rejected or skip_invalid


def _people(cursor) -> None:
    """``people``: users by lower-case name (imports name people)."""
    _temp_table(cursor, "people", """
        SELECT lower(name) AS key, min(id) AS id, count(*) AS n, bool_or(role <> 'analyst') AS can_work
        FROM users GROUP BY lower(name)""")


# ---------------------------------------------------------------- cursor and lock


@contextmanager
def _own_cursor(db: BaseDatabase) -> Iterator:
    """The import's own cursor (its temp tables are the staging area); any database error left
    becomes a Spanish ValidationError without paths, so no constraint text reaches the user."""
    cursor = db.new_cursor()
    try:
        yield cursor
    except db.operations.database_errors:
        log.exception("import failed")
        raise ValidationError({"file": "No se pudo importar el archivo; no se cargó nada."}) from None
    finally:
        cursor.close()


@contextmanager
def _writing(store: Store, actor: User, cursor) -> Iterator[None]:
    """The final load: the process's writer lock, and one transaction on the import's cursor.
    ``store.writing()`` is what takes the lock and re-checks the importing admin and their
    session (its own transaction stays empty)."""
    with store.writing(actor):
        cursor.execute("BEGIN TRANSACTION")
        try:
            yield
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise


@contextmanager
def _loading(store: Store, actor: User, cursor, stage, needs: tuple[Need, ...]) -> Iterator[Callable[[], None]]:
    """Under the writer lock, in one transaction on the import's cursor: the file ``stage``
    ready for the rules that need the database and for the load (the engine's ``load_stage``,
    given what the load reads and writes, ``needs``). Yields ``write_back``, to call once
    loaded: it makes the load the database's (nothing to do where the stage is the database)."""
    with _writing(store, actor, cursor), operations_of(cursor).load_stage(stage, cursor, needs) as write_back:
        yield write_back


def _import(store: Store, actor: User, report: ImportReport, path: Path, columns: list[str],
            check_file: Callable, needs: tuple[Need, ...], check_database: Callable, load: Callable,
            skip_invalid: bool) -> ImportReport:
    """Read the file (its ``columns``) and judge its own rules (``check_file``) outside the
    lock; then, under it, judge the rules that need the database (``check_database``) and,
    if the report lets it, ``load`` (reading and writing ``needs``)."""
    with _own_cursor(store.db) as cursor, _file_stage(cursor) as stage:
        _stage(stage, path, columns, report.kind)
        check_file(stage)
        with _loading(store, actor, cursor, stage, needs) as write_back:
            check_database(stage)
            if not _judge(stage, report, skip_invalid):
                return report
            load(store, stage, actor, report)
            write_back()
            report.written = True
    store._committed()
    return report


# ---------------------------------------------------------------- activities and tasks


def import_items(store: Store, actor: User, kind: str, path: Path, skip_invalid: bool = False) -> ImportReport:
    """Import ``actividades``, ``tareas`` or ``todo`` (each row's Clase decides) from ``path``;
    see the module's docstring."""
    access.require_admin(actor, "importar datos")
    if kind not in KINDS:
        raise ValidationError({"kind": "Qué importar: actividades, tareas o todo."})
    return _import(store, actor, ImportReport(kind), path, ITEM_COLUMNS, lambda stage: _check_items_file(stage, KINDS[kind]),
                   ITEM_NEEDS, _check_items_against_database, _load_items, skip_invalid)


def _check_items_file(cursor, clase: Kind | None) -> None:
    """``checked``: the staged rows typed; ``file_verdicts``: every rule that needs no other table."""
    row_kind = (_literal(str(clase)) if clase else
                f"CASE WHEN \"Clase\" IN ({', '.join(_literal(str(k)) for k in Kind)}) THEN \"Clase\" END")
    ops = operations_of(cursor)
    _temp_table(cursor, "checked", f"""
        SELECT *, CASE WHEN row_kind = 'Actividad' THEN desde_at ELSE fecha_at END AS starts_at,
                  CASE WHEN row_kind = 'Actividad' THEN hasta_at ELSE fecha_at END AS due_at
        FROM (SELECT s.*, {row_kind} AS row_kind,
                     CASE WHEN {ops.regexp_full_match('s."ID"', ID_PATTERN)} THEN s."ID"::BIGINT END AS item_id,
                     {_instant(ops, "Desde")} AS desde_at, {_instant(ops, "Hasta")} AS hasta_at, {_instant(ops, "Fecha")} AS fecha_at,
                     {_instant(ops, "Creada")} AS created_at, {_instant(ops, "Realizada el")} AS completed_at,
                     coalesce(s."Modo de responsable", 'Dueño del contacto') AS mode,
                     coalesce(s."Estatus", 'Pendiente') AS status
              FROM staged s) AS typed""")  # sql-ok: fixed column names and our own constants
    activity, task = "row_kind = 'Actividad'", "row_kind = 'Tarea'"
    if clase is None:
        kind_rules = [_rule("kind", "row_kind IS NULL", "Clase no válida: Actividad o Tarea.")]
    else:
        kind_rules = [_rule("kind", f"\"Clase\" IS NOT NULL AND \"Clase\" <> '{clase}'",
                            f"Esta importación solo admite filas de Clase {clase}.")]
    rules = [
        _rule("id", f"\"ID\" IS NOT NULL AND NOT coalesce(item_id BETWEEN 1 AND {ID_MAX}, false)",
              f"ID: debe ser un número entero entre 1 y {format_int(ID_MAX)}, o quedar vacío en una fila nueva."),
        _rule("id", "item_id IS NOT NULL AND count(*) OVER (PARTITION BY item_id) > 1",
              "ID: aparece en más de una línea del archivo."),
        *kind_rules,
        *_text_rules(ops, "Nombre", "name", "El nombre", required=True),
        _rule("activity_type", f"{activity} AND \"Tipo\" IS NULL", "Elige el tipo de actividad."),
        _rule("activity_type", f"{activity} AND {_one_of('Tipo', ActivityType)}",
              "Tipo no válido: elige Webinar, Evento, Llamada, Reunión u Otro."),
        _rule("activity_type", f"{task} AND \"Tipo\" IS NOT NULL", "Las tareas no tienen tipo."),
        *_instant_rules(ops, "Desde", "start", "desde_at", activity, required=True),
        *_instant_rules(ops, "Hasta", "end", "hasta_at", activity, required=True),
        *_instant_rules(ops, "Fecha", "start", "fecha_at", task, required=True),
        _rule("end", "due_at < starts_at", "Hasta no puede ser anterior a Desde."),
        _rule("responsible", _one_of("mode", ResponsibleMode),
              "Modo de responsable no válido: Dueño del contacto, Un usuario específico o No asignar."),
        _rule("responsible", "mode = 'Un usuario específico' AND \"Responsable\" IS NULL",
              "Elige el usuario responsable."),
        *_text_rules(ops, "Responsable", "responsible", "El responsable"),
        _rule("contact", "\"Contacto\" IS NULL AND \"Email del contacto\" IS NULL", "El contacto es obligatorio."),
        *_text_rules(ops, "Contacto", "contact", "El contacto"),
        ("contact", f'"Contacto" IS NULL AND length("Email del contacto") > {NAME_MAX}',  # named by its email
         _too_long(ops, '"Email del contacto"', "El contacto", NAME_MAX)),
        *_email_rules(ops, "Email del contacto"),
        *_text_rules(ops, "Empresa", "company", "El nombre de la empresa"),
        *_text_rules(ops, "Oportunidad", "opportunity", "El nombre de la oportunidad"),
        _rule("stage", f"\"Etapa\" IS NOT NULL AND {_one_of('Etapa', Stage)}",
              "Etapa no válida: " + ", ".join(Stage) + "."),
        *_text_rules(ops, "Descripción", "description", "La descripción", DESCRIPTION_MAX, multiline=True),
        _rule("status", _one_of("status", Status), "Estatus no válido: elige Pendiente o Realizada."),
        *_instant_rules(ops, "Creada", "created_at", "created_at"),
        *_text_rules(ops, "Creada por", "created_by", "Creada por:"),
        *_instant_rules(ops, "Realizada el", "completed_at", "completed_at"),
        *_text_rules(ops, "Realizada por", "completed_by", "Realizada por:"),
    ]
    _verdicts(cursor, "file_verdicts", "checked", rules)


def _check_items_against_database(cursor) -> None:
    """``resolved``: each row's people, existing item and verdict; ``good``: the valid rows,
    typed and resolved."""
    _people(cursor)
    _resolve(cursor, {"named_id": "r.id", "named_count": "r.n", "named_can_work": "r.can_work",
                      "created_by": "cb.id", "completed_by": "db.id", "existing_kind": "i.kind::VARCHAR"}, """
        LEFT JOIN people r ON r.key = lower(c."Responsable")
        LEFT JOIN people cb ON cb.key = lower(c."Creada por")
        LEFT JOIN people db ON db.key = lower(c."Realizada por")
        LEFT JOIN items i ON i.id = c.item_id""", [
        _rule("responsible", "mode = 'Un usuario específico' AND \"Responsable\" IS NOT NULL "
                             "AND (named_id IS NULL OR NOT named_can_work)",
              "Responsable: no hay un vendedor o administrador con ese nombre."),
        _rule("responsible", "\"Responsable\" IS NOT NULL AND named_count > 1",
              "Responsable: hay varios usuarios con ese nombre."),
        ("id", "existing_kind <> row_kind",
         "'ID: es de una ' || lower(existing_kind) || ' existente; esta línea es una ' || lower(row_kind) || '.'"),
    ])


def _load_items(store: Store, cursor, actor: User, report: ImportReport) -> None:
    """Insert or update the valid rows, creating missing companies, contacts and opportunities."""
    now = times.to_db(store.clock())
    db = store.db
    first = operations_of(cursor).first_by
    _create_companies(cursor, db)
    # contacts: by email, else by name; a new one is owned by the first row's responsible in owner mode
    owner = "CASE WHEN g.mode = 'Dueño del contacto' AND g.named_can_work THEN g.named_id END"
    _temp_table(cursor, "new_contacts", f"""
        SELECT lower(coalesce(g."Email del contacto", g."Contacto")) AS key,
               {first('coalesce(g."Contacto", g."Email del contacto")', 'g.line')} AS name,
               {first('lower(g."Email del contacto")', 'g.line')} AS email,
               {first('g."Empresa"', 'g.line')} AS company, {first(owner, 'g.line')} AS owner_id,
               min(g.line) AS first_line
        FROM good g {_CONTACTS_OF_LINES}
        WHERE {_CONTACT_OF_LINE} IS NULL GROUP BY lower(coalesce(g."Email del contacto", g."Contacto"))""")  # sql-ok
    _insert_with_ids(cursor, db, "contacts", "new_contacts", """
        SELECT n.id, n.name, n.email, NULL, co.id, n.owner_id, ?, ?, ?
        FROM numbered n LEFT JOIN companies co ON co.name_key = lower(n.company)""",
                     order="first_line", params=[now, actor.id, now])
    _temp_table(cursor, "good_contacts",
                f"SELECT g.line, {_CONTACT_OF_LINE} AS contact_id FROM good g {_CONTACTS_OF_LINES}")  # sql-ok: ours
    # opportunities: by name (any case) within the contact
    known = """SELECT contact_id, lower(name) AS key, min(id) AS id FROM opportunities GROUP BY contact_id, lower(name)"""
    _temp_table(cursor, "known_opportunities", known)
    _temp_table(cursor, "new_opportunities", f"""
        SELECT gc.contact_id, {first('g."Oportunidad"', 'g.line')} AS name, {first('g."Etapa"', 'g.line')} AS stage,
               min(g.line) AS first_line
        FROM good g JOIN good_contacts gc USING (line)
        WHERE g."Oportunidad" IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM known_opportunities k WHERE k.contact_id = gc.contact_id AND k.key = lower(g."Oportunidad"))
        GROUP BY gc.contact_id, lower(g."Oportunidad")""")  # sql-ok: the engine's aggregate over our columns
    if _insert_with_ids(cursor, db, "opportunities", "new_opportunities",
                        "SELECT id, name, contact_id, CAST(coalesce(stage, 'Prospecto') AS opportunity_stage), 0, ? "
                        "FROM numbered", order="first_line", params=[now]):
        _temp_table(cursor, "known_opportunities", known)
    _temp_table(cursor, "ready", """
        SELECT g.item_id, g.line, CAST(g.row_kind AS item_kind) AS kind, g."Nombre" AS name,
               CAST(g."Tipo" AS activity_type) AS activity_type, g.starts_at, g.due_at,
               CAST(g.mode AS responsible_mode) AS mode,
               CASE g.mode WHEN 'Dueño del contacto' THEN c.owner_id
                           WHEN 'Un usuario específico' THEN g.named_id END AS responsible_id,
               c.id AS contact_id, c.owner_id AS contact_owner_id, k.id AS opportunity_id,
               g."Descripción" AS description, CAST(g.status AS item_status) AS status,
               CASE WHEN g.status = 'Realizada' THEN coalesce(g.completed_at, ?::TIMESTAMP) END AS completed_at,
               CASE WHEN g.status = 'Realizada' THEN coalesce(g.completed_by, ?) END AS completed_by,
               coalesce(g.created_at, ?::TIMESTAMP) AS created_at, coalesce(g.created_by, ?) AS created_by
        FROM good g JOIN good_contacts gc USING (line) JOIN contacts c ON c.id = gc.contact_id
        LEFT JOIN known_opportunities k ON k.contact_id = c.id AND k.key = lower(g."Oportunidad")""",
                [now, actor.id, now, actor.id])
    columns = ("kind, name, activity_type, starts_at, due_at, responsible_mode, responsible_id, contact_id, "
               "contact_owner_id, opportunity_id, description, status, completed_at, completed_by, created_at, "
               "created_by")
    values = ("r.kind, r.name, r.activity_type, r.starts_at, r.due_at, r.mode, r.responsible_id, r.contact_id, "
              "r.contact_owner_id, r.opportunity_id, r.description, r.status, r.completed_at, r.completed_by, "
              "r.created_at, r.created_by")
    (needed,) = cursor.execute("""SELECT count(*) FROM ready
        WHERE item_id IS NULL OR item_id NOT IN (SELECT id FROM items)""").fetchone()
    first_id = 0
    if needed:  # rows without an ID of their own get fresh ones, above every ID the file names
        cursor.execute("""UPDATE id_counters SET last_id = greatest(last_id, (SELECT coalesce(max(item_id), 0) FROM ready))
                          WHERE name = 'items'""")
        first_id = db.next_ids(cursor, "items", needed)
    _temp_table(cursor, "landed", """
        SELECT line, item_id AS id, 'update' AS action FROM ready WHERE item_id IN (SELECT id FROM items)
        UNION ALL
        SELECT line, coalesce(item_id, ? - 1 + row_number() OVER (PARTITION BY item_id IS NULL ORDER BY line)), 'create'
        FROM ready WHERE item_id IS NULL OR item_id NOT IN (SELECT id FROM items)""", [first_id])
    assignments = ", ".join(f"{name} = r.{name}" for name in columns.replace("responsible_mode", "mode").split(", "))
    assignments = assignments.replace("mode = r.mode", "responsible_mode = r.mode")
    updates = "SELECT id FROM landed WHERE action = 'update'"
    rollups.record(cursor, f"i.id IN ({updates})", [], -1, many=True)  # sql-ok: as they were
    report.updated = cursor.execute(f"""
        UPDATE items SET {assignments}, updated_at = ?
        FROM ready r WHERE r.item_id = items.id AND items.id IN ({updates})""",
                                    [now]).fetchone()[0]  # sql-ok: fixed column lists
    report.inserted = cursor.execute(f"""
        INSERT INTO items (id, {columns}, updated_at)
        SELECT l.id, {values}, ?
        FROM ready r JOIN landed l ON l.line = r.line AND l.action = 'create' ORDER BY r.line""",
                                     [now]).fetchone()[0]  # sql-ok: fixed column lists
    cursor.execute("""UPDATE id_counters SET last_id = greatest(last_id, (SELECT coalesce(max(id), 0) FROM items))
                      WHERE name = 'items'""")
    rollups.record(cursor, "i.id IN (SELECT id FROM landed)", [], +1, many=True)  # updated and created
    _audit_landed(cursor, db, actor, now, "item", report)


def _create_companies(cursor, db: BaseDatabase) -> None:
    """The good rows' companies that do not exist yet (any case), named as their first line spells them."""
    _temp_table(cursor, "new_companies", f"""
        SELECT {operations_of(cursor).first_by('"Empresa"', 'line')} AS name FROM good
        WHERE "Empresa" IS NOT NULL AND lower("Empresa") NOT IN (SELECT name_key FROM companies)
        GROUP BY lower("Empresa")""")  # sql-ok: the engine's aggregate over our columns
    _insert_with_ids(cursor, db, "companies", "new_companies",
                     "SELECT id, name, lower(name) FROM numbered", order="lower(name)")


# a good line's contact (_CONTACT_OF_LINE, over good g and these joins): by email, else (no email) by name
_CONTACTS_OF_LINES = """
    LEFT JOIN (SELECT email, min(id) AS id FROM contacts WHERE email IS NOT NULL GROUP BY email) by_email
           ON by_email.email = lower(g."Email del contacto")
    LEFT JOIN (SELECT lower(name) AS key, min(id) AS id FROM contacts GROUP BY lower(name)) by_name
           ON by_name.key = lower(g."Contacto")"""
_CONTACT_OF_LINE = 'CASE WHEN g."Email del contacto" IS NOT NULL THEN by_email.id ELSE by_name.id END'


def _insert_with_ids(cursor, db, table: str, source: str, select: str, order: str, params: list | None = None) -> int:
    """Insert ``source``'s rows into ``table`` with fresh ids from the counter."""
    (count,) = cursor.execute(f"SELECT count(*) FROM {source}").fetchone()  # sql-ok: our temp table names
    if not count:
        return 0
    first = db.next_ids(cursor, table, count)
    _temp_table(cursor, "numbered", f"SELECT ? - 1 + row_number() OVER (ORDER BY {order}) AS id, * FROM {source}",  # sql-ok
                [first])
    cursor.execute(f"INSERT INTO {table} {select}", params or [])  # sql-ok: fixed per caller
    return count


# ---------------------------------------------------------------- contacts


def import_contacts(store: Store, actor: User, path: Path, skip_invalid: bool = False) -> ImportReport:
    """Contacts: Nombre, Correo electrónico, Teléfono, Empresa, Dueño del contacto (a name).
    A known email updates that contact (the CRM's registration rule) instead of duplicating it."""
    access.require_admin(actor, "importar datos")
    return _import(store, actor, ImportReport("contactos"), path, CONTACT_COLUMNS, _check_contacts_file, CONTACT_NEEDS,
                   _check_contacts_against_database, _load_contacts, skip_invalid)


def _check_contacts_file(stage) -> None:
    """``checked``: the staged contacts with their emails lower-cased; ``file_verdicts``: every
    rule that needs no other table."""
    ops = operations_of(stage)
    _temp_table(stage, "checked", """SELECT *, lower("Correo electrónico") AS email FROM staged""")
    phone = PHONE_RE.pattern.removeprefix("^").removesuffix("$")
    _verdicts(stage, "file_verdicts", "checked", [
        *_text_rules(ops, "Nombre", "name", "El nombre", required=True),
        *_email_rules(ops, "email"),
        _rule("email", "email IS NOT NULL AND count(*) OVER (PARTITION BY email) > 1",
              "Ese correo aparece en más de una línea del archivo."),
        _rule("phone", f"\"Teléfono\" IS NOT NULL AND NOT {ops.regexp_full_match(PHONE_COLUMN, phone)}",
              "Teléfono no válido: usa dígitos, espacios, +, -, ( )."),
        *_text_rules(ops, "Empresa", "company", "El nombre de la empresa"),
        *_text_rules(ops, "Dueño del contacto", "owner", "Dueño del contacto:"),
    ])


def _check_contacts_against_database(cursor) -> None:
    """``resolved``: each row's owner and verdict; ``good``."""
    _people(cursor)
    _resolve(cursor, {"owner_id": "o.id", "owner_count": "o.n", "owner_can_work": "o.can_work"},
             """LEFT JOIN people o ON o.key = lower(c."Dueño del contacto")""", [
        _rule("owner", "\"Dueño del contacto\" IS NOT NULL AND (owner_id IS NULL OR NOT owner_can_work OR owner_count > 1)",
              "Dueño del contacto: no hay un único vendedor o administrador con ese nombre."),
    ])


def _load_contacts(store: Store, cursor, actor: User, report: ImportReport) -> None:
    now = times.to_db(store.clock())
    db = store.db
    _temp_table(cursor, "good", """
        SELECT g.*, (SELECT min(id) FROM contacts k WHERE k.email = g.email) AS existing FROM good g""")
    _create_companies(cursor, db)
    report.updated = cursor.execute("""
        UPDATE contacts SET name = g."Nombre", phone = coalesce(g."Teléfono", contacts.phone),
               company_id = coalesce(co.id, contacts.company_id), owner_id = coalesce(g.owner_id, contacts.owner_id),
               updated_at = ?
        FROM good g LEFT JOIN companies co ON co.name_key = lower(g."Empresa")
        WHERE g.existing = contacts.id""", [now]).fetchone()[0]
    followers = "i.contact_id IN (SELECT existing FROM good WHERE existing IS NOT NULL)"
    rollups.record(cursor, followers, [], -1, many=True)
    cursor.execute("""UPDATE items SET contact_owner_id = c.owner_id,
               responsible_id = CASE WHEN items.responsible_mode = 'Dueño del contacto' THEN c.owner_id
                                     ELSE items.responsible_id END
        FROM contacts c WHERE c.id = items.contact_id AND c.id IN (SELECT existing FROM good)
          AND items.contact_owner_id IS DISTINCT FROM c.owner_id""")
    rollups.record(cursor, followers, [], +1, many=True)
    _temp_table(cursor, "new_contacts", "SELECT * FROM good WHERE existing IS NULL")
    report.inserted = _insert_with_ids(cursor, db, "contacts", "new_contacts", """
        SELECT n.id, n."Nombre", n.email, n."Teléfono", co.id, n.owner_id, ?, ?, ?
        FROM numbered n LEFT JOIN companies co ON co.name_key = lower(n."Empresa")""",
                                       order="line", params=[now, actor.id, now])
    _temp_table(cursor, "landed", """
        SELECT line, existing AS id, 'update' AS action FROM good WHERE existing IS NOT NULL""")
    if report.inserted:
        cursor.execute("INSERT INTO landed SELECT line, id, 'create' FROM numbered")
    _audit_landed(cursor, db, actor, now, "contact", report)


def _audit_landed(cursor, db, actor: User, now, entity: str, report: ImportReport) -> None:
    """One audit row per imported row (create or update), written in SQL."""
    (count,) = cursor.execute("SELECT count(*) FROM landed").fetchone()
    if count:
        start = db.next_ids(cursor, "audit_log", count)
        cursor.execute("""INSERT INTO audit_log
            SELECT ? - 1 + row_number() OVER (ORDER BY line), ?, ?, action, ?, id, CAST(? AS JSON) FROM landed""",
                       [start, now, actor.id, entity, json.dumps({"import": [None, report.kind]})])
