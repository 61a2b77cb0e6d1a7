"""Export exactly what the Tablero counts, written to a file by DuckDB's ``COPY ... TO``, never
a whole-table DataFrame. The query is DuckDB's on both engines: on the DuckDB file it reads
the tables themselves; on PostgreSQL it reads the rows the filters pick, and those they name
(``READS``), copied by ``COPY ... TO STDOUT`` into a private DuckDB (the engine's
``export_source``). So the bytes of a file are DuckDB's by construction, whatever the engine.

CSV is UTF-8 with a header row and RFC 4180 quoting; the separator (``,`` or ``;`` for Excel
in Spanish locales) and a UTF-8 BOM are options. Text cells a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``, tab, CR or LF) get a leading ``'``
(OWASP); so that this stays reversible, a cell that already starts with ``'`` gets one too,
and ``unescape_cell`` undoes it exactly (the import does). Parquet keeps real types.
Instants are ISO 8601 with the offset of the exporting user's zone.

A file is written only where ``check_output_path`` allows: never over the database's own
files, never over an existing file unless asked to, and a failed write leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from escala import times
from escala.analytics import Analytics, Filters, Selection
from escala.db import BaseDatabase
from escala.domain import User
from escala.engines import duckdb as duckdb_operations
from escala.engines import operations_of

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
SIZE_LIMIT = 200 * 2**20  # above this the app offers gzip or Parquet instead
HEADERS = ["ID", "Clase", "Nombre", "Tipo", "Desde", "Hasta", "Fecha", "Responsable", "Modo de responsable",
           "Contacto", "Email del contacto", "Empresa", "Oportunidad", "Etapa", "Descripción", "Estatus",
           "Vencida", "Días vencida", "Creada", "Creada por", "Realizada el", "Realizada por"]
TEXT_COLUMNS = {"Nombre", "Responsable", "Contacto", "Email del contacto", "Empresa", "Oportunidad",
                "Descripción", "Creada por", "Realizada por"}
# What the export query (``Exporter._select``) reads of each table, with the columns' DuckDB
# types, and for every table after ``items`` the DuckDB query listing the ids it needs (each
# table's rows are named by those before it): what an engine copies out (``export_source``).
READS = (
    ("items", {"id": "BIGINT", "kind": "VARCHAR", "name": "VARCHAR", "activity_type": "VARCHAR",
               "starts_at": "TIMESTAMP", "due_at": "TIMESTAMP", "responsible_mode": "VARCHAR",
               "responsible_id": "INTEGER", "contact_id": "INTEGER", "opportunity_id": "INTEGER",
               "description": "VARCHAR", "status": "VARCHAR", "completed_at": "TIMESTAMP", "completed_by": "INTEGER",
               "created_at": "TIMESTAMP", "created_by": "INTEGER"}, None),
    ("contacts", {"id": "INTEGER", "name": "VARCHAR", "email": "VARCHAR", "company_id": "INTEGER"},
     "SELECT contact_id FROM items"),
    ("companies", {"id": "INTEGER", "name": "VARCHAR"}, "SELECT company_id FROM contacts"),
    ("opportunities", {"id": "INTEGER", "name": "VARCHAR", "stage": "VARCHAR"}, "SELECT opportunity_id FROM items"),
    ("users", {"id": "INTEGER", "name": "VARCHAR"},
     "SELECT responsible_id FROM items UNION SELECT created_by FROM items UNION SELECT completed_by FROM items"),
)


class OutputPathError(ValueError):
    """The export cannot go to this path; the message (Spanish, one line) says why."""


class OutputExists(OutputPathError):
    """The file exists and replacing it was not asked for."""


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".parcial")


def _same_file(path: Path, other: Path) -> bool:
    if path.resolve() == other.resolve():  # symlinks and ``..`` resolved
        return True
    try:
        return os.path.samefile(path, other)  # hard links
    except OSError:
        return False


def check_output_path(path: str | Path, protected: Iterable[Path] = (), overwrite: bool = False) -> Path:
    """The export target ``path`` if a file may be written there, else ``OutputPathError``.

    Refused: an empty path; a folder; a missing or unwritable parent folder; any of the
    ``protected`` paths (the database's own files, whatever symlink or ``..`` leads to them),
    also as the ``.parcial`` file written first; an existing file unless ``overwrite``."""
    if not str(path).strip():
        raise OutputPathError("Falta el archivo de salida.")
    path = Path(path)
    if path.is_dir() or not path.name:
        raise OutputPathError(f"{path} es una carpeta; indica un archivo.")
    for target in (path, _partial(path)):
        if any(_same_file(target, own) for own in protected):
            raise OutputPathError(f"{path} es un archivo de la base de datos; elige otro archivo de salida.")
    folder = path.parent
    if not folder.is_dir():
        raise OutputPathError(f"No existe la carpeta {folder}.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"No se puede escribir en la carpeta {folder}.")
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputExists(f"El archivo {path} ya existe.")
    return path


@dataclass(frozen=True)
class CsvOptions:
    separator: str = ","
    bom: bool = False
    escape_formulas: bool = True

    def __post_init__(self):
        if self.separator not in (",", ";"):
            raise ValueError("El separador debe ser ',' o ';'.")


def unescape_cell(value: str) -> str:
    """Undo the formula neutralisation: drop the ``'`` that export added."""
    return value[1:] if value.startswith("'") and len(value) > 1 and value[1] in FORMULA_STARTS else value


def _iso(ops, column: str, periods: list[tuple[datetime, timedelta]] | None = None,
         last: datetime | None = None) -> str:
    """SQL: a naive-UTC column as ISO 8601 in the session's time zone, e.g. 2026-03-05T10:00:00-06:00,
    in the words of ``ops`` (the engine's Operations).

    Given the zone's ``periods`` of one offset (``times.offset_periods``) over the data's span
    up to ``last``, each instant is shifted by its period's offset and formatted as a plain
    timestamp: a few comparisons instead of a time zone lookup per cell (a second per million
    rows). Instants outside the span, and all of them without ``periods``, are formatted in the
    session's zone (the cursor's TimeZone is the user's)."""
    zoned = ops.iso_in_session_zone(column)
    if not periods:
        return zoned
    shifted = " ".join(
        f"WHEN {column} >= {_timestamp(since)} THEN {ops.iso_wall_clock(_shifted(column, offset))} "  # sql-ok: ours
        f"|| '{_offset_text(offset)}'" for since, offset in reversed(periods))
    return (f"CASE WHEN {column} > {_timestamp(last)} OR {column} < {_timestamp(periods[0][0])} "  # sql-ok: ours
            f"THEN {zoned} {shifted} END")


def _shifted(column: str, offset: timedelta) -> str:
    return f"{column} + INTERVAL '{int(offset.total_seconds())} seconds'"


def _timestamp(value: datetime) -> str:
    """A TIMESTAMP literal of a naive-UTC datetime (computed here, never user text)."""
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise TypeError(f"a naive datetime, not {value!r}")
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def _date(value: date) -> str:
    """A DATE literal (computed here, never user text)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"a date, not {value!r}")
    return f"DATE '{value.isoformat()}'"


def _offset_text(offset: timedelta) -> str:
    """+05:30, -06:00; seconds only where a historical offset has them."""
    seconds = int(offset.total_seconds())
    sign, seconds = ("-" if seconds < 0 else "+"), abs(seconds)
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


FORMULA_MASK = sum(1 << (ord(c) - 9) for c in FORMULA_STARTS)  # bit n: character 9 + n starts a formula


def starts_formula(expression: str, ops=duckdb_operations.OPERATIONS) -> str:
    """SQL: does the text start with a character a spreadsheet reads as a formula (or ``'``)?
    Every such character lies between tab (9) and ``@`` (64): ``FORMULA_MASK`` marks them.
    In the words of ``ops``, the engine's Operations (DuckDB's unless given)."""
    return ops.starts_formula(expression, FORMULA_MASK)


def _safe(ops, expression: str, escape: bool) -> str:
    """SQL: the text with a leading ``'`` where a spreadsheet would run it as a formula."""
    if not escape:
        return expression
    return f"CASE WHEN {starts_formula(expression, ops)} THEN '''' || {expression} ELSE {expression} END"


class Exporter:
    """Builds the export query from the Tablero's filters and has the engine write the file."""

    def __init__(self, db: BaseDatabase):
        self.db = db
        self.analytics = Analytics(db)

    def _select(self, cursor, where: str, params: list, now: datetime, zone: str, typed: bool,
                escape: bool = True, limit: int | None = None) -> tuple[str, list]:
        """The export query over the rows ``where`` picks (bound ``params``), to run on the
        DuckDB ``cursor`` of ``_source``: text instants are formatted with the zone's offsets
        over the span of those rows, read first in the same snapshot. The moment ``now`` and
        its day in ``zone`` are literals (typed values computed here), so every other value
        stays bound, in the WHERE clause only."""
        ops = operations_of(cursor)
        late = f"(i.status = 'Pendiente' AND i.due_at < {_timestamp(times.to_db(now))})"  # sql-ok: a typed literal
        today = _date(times.to_local(now, zone).date())
        days = f"CASE WHEN {late} THEN {ops.days_since_in_session_zone('i.due_at', today)} END"
        if typed:
            instant = lambda c: f"timezone('UTC', {c})"  # noqa: E731  TIMESTAMPTZ in Parquet
            overdue = late
        else:
            instants = ("i.starts_at", "i.due_at", "i.created_at", "i.completed_at")  # per column: half the time of least()
            first, last = cursor.execute(
                f"SELECT least({', '.join(f'min({c})' for c in instants)}), "  # sql-ok: fixed columns
                f"greatest({', '.join(f'max({c})' for c in instants)}) FROM items i WHERE {where}",  # sql-ok
                params).fetchone()
            periods = times.offset_periods(zone, first, last) if first is not None else None
            instant = lambda c: _iso(ops, c, periods, last)  # noqa: E731  text in the user's offsets
            overdue = f"CASE WHEN {late} THEN 'Sí' ELSE 'No' END"
        text = (lambda e: _safe(ops, e, escape)) if not typed else (lambda e: e)
        columns = [
            ("ID", "i.id"), ("Clase", "i.kind::VARCHAR"), ("Nombre", text("i.name")),
            ("Tipo", "i.activity_type::VARCHAR"),
            ("Desde", f"CASE WHEN i.kind = 'Actividad' THEN {instant('i.starts_at')} END"),
            ("Hasta", f"CASE WHEN i.kind = 'Actividad' THEN {instant('i.due_at')} END"),
            ("Fecha", f"CASE WHEN i.kind = 'Tarea' THEN {instant('i.due_at')} END"),
            ("Responsable", text("r.name")), ("Modo de responsable", "i.responsible_mode::VARCHAR"),
            ("Contacto", text("c.name")), ("Email del contacto", text("c.email")), ("Empresa", text("co.name")),
            ("Oportunidad", text("o.name")), ("Etapa", "o.stage::VARCHAR"), ("Descripción", text("i.description")),
            ("Estatus", "i.status::VARCHAR"), ("Vencida", overdue), ("Días vencida", days),
            ("Creada", instant("i.created_at")), ("Creada por", text("cu.name")),
            ("Realizada el", instant("i.completed_at")), ("Realizada por", text("du.name")),
        ]
        select = ", ".join(f'{expression} AS "{name}"' for name, expression in columns)
        # Rows come in storage order (DuckDB's: by responsible, then due date, where demo data and
        # ``compact`` put them; on PostgreSQL the order its table holds them, see export_source),
        # which an import keeps, so export -> import -> export gives the same file; a ``limit``
        # takes the first rows of that order and stops the scan there.
        return f"""SELECT {select}
            FROM items i
            JOIN contacts c ON c.id = i.contact_id
            LEFT JOIN companies co ON co.id = c.company_id
            LEFT JOIN users r ON r.id = i.responsible_id
            LEFT JOIN opportunities o ON o.id = i.opportunity_id
            LEFT JOIN users cu ON cu.id = i.created_by
            LEFT JOIN users du ON du.id = i.completed_by
            WHERE {where}{f" LIMIT {int(limit)}" if limit is not None else ""}""", params  # sql-ok: fixed text

    @contextmanager
    def _source(self, filters: Filters, user: User, now: datetime, zone: str, limit: int | None,
                selection: Selection | None) -> Iterator[tuple]:
        """``(cursor, where, params, limit)``: the DuckDB cursor the export query runs on and
        what it reads there (the engine's ``export_source``), all from one snapshot, with the
        session time zone the user's (instants print in it)."""
        where, params = self.analytics.where(filters, user, now, zone, selection=selection)
        zone = zone if times.is_valid_zone(zone) else "UTC"
        cursor = self.db.new_cursor()
        try:
            cursor.begin()
            with operations_of(cursor).export_source(cursor, READS, where, params, limit) as (stage, where, params, limit):
                stage.execute(f"SET TimeZone = '{zone}'")  # sql-ok: a valid zone's name
                yield stage, where, params, limit
        finally:
            cursor.close()

    def count(self, filters: Filters, user: User, now: datetime, zone: str, selection: Selection | None = None) -> int:
        where, params = self.analytics.where(filters, user, now, zone, selection=selection)
        return self.db.query_one(f"SELECT count(*) FROM items i WHERE {where}", params)[0]  # sql-ok

    def preview(self, filters: Filters, user: User, now: datetime, zone: str, rows: int = 100):
        """The first ``rows`` rows exactly as the CSV will hold them, as a DataFrame."""
        with self._source(filters, user, now, zone, rows, None) as (cursor, where, params, limit):
            sql, params = self._select(cursor, where, params, now, zone, typed=False, limit=limit)
            return cursor.execute(sql, params).df()

    def write(self, path: Path, filters: Filters, user: User, now: datetime, zone: str, fmt: str = "csv",
              options: CsvOptions = CsvOptions(), gzip: bool = False, limit: int | None = None,
              selection: Selection | None = None, overwrite: bool = False) -> int:
        """Write the export to ``path``; returns the number of rows. The file appears only
        complete (written beside it, then renamed) and only where ``check_output_path``
        allows; on any failure the partial file is removed."""
        path = check_output_path(path, self.db.own_files(), overwrite)
        if fmt not in ("csv", "parquet"):
            raise ValueError("El formato debe ser csv o parquet.")
        partial = _partial(path)
        try:
            with self._source(filters, user, now, zone, limit, selection) as (cursor, where, params, limit):
                sql, params = self._select(cursor, where, params, now, zone, typed=fmt == "parquet",
                                           escape=options.escape_formulas, limit=limit)
                if fmt == "csv":
                    if options.bom:  # the BOM rides on the first header, so it is written first
                        sql = sql.replace('AS "ID"', 'AS "\ufeffID"', 1)
                    rows = operations_of(cursor).write_csv(cursor, sql, params, partial, options.separator, gzip)
                else:
                    rows = operations_of(cursor).write_parquet(cursor, sql, params, partial)
            os.replace(partial, path)
        except OSError as error:  # disk full, permissions, a folder in the way
            raise OutputPathError(f"No se pudo escribir {path}: {_first_line(error)}") from error
        finally:
            with suppress(OSError):
                partial.unlink(missing_ok=True)
        return rows


def _first_line(error: OSError) -> str:
    return error.strerror or str(error).splitlines()[0]
