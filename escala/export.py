"""Export exactly what the Tablero counts, streamed to a file by the engine (DuckDB's ``COPY
... TO`` a file; PostgreSQL's ``COPY ... TO STDOUT`` or a server-side cursor), never a
whole-table DataFrame. The query is one for both engines; what they say differently (an
instant as text, a count of days, writing the file) is each engine's ``Operations``
(escala/engines, the methods under ``# export``).

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
from collections.abc import Iterable
from contextlib import suppress
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

    def _select(self, cursor, filters: Filters, user: User, now: datetime, zone: str, typed: bool,
                escape: bool = True, limit: int | None = None, selection: Selection | None = None
                ) -> tuple[str, list]:
        """The export query, to run on ``cursor`` (from ``_cursor``): text instants are
        formatted with the zone's offsets over the span of the rows it selects, read first in
        the same transaction. The moment ``now`` and its day in ``zone`` are literals (typed
        values computed here), so every other value stays bound, in the WHERE clause only."""
        ops = operations_of(cursor)
        where, params = self.analytics.where(filters, user, now, zone, selection=selection)
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
        # On DuckDB rows come in storage order (by responsible, then due date, where demo data
        # and ``compact`` put them), which an import keeps, so export -> import -> export gives
        # the same file; a ``limit`` takes the first rows of that order and stops the scan
        # there. PostgreSQL keeps no storage order: its rows are sorted in that same order.
        return f"""SELECT {select}
            FROM items i
            JOIN contacts c ON c.id = i.contact_id
            LEFT JOIN companies co ON co.id = c.company_id
            LEFT JOIN users r ON r.id = i.responsible_id
            LEFT JOIN opportunities o ON o.id = i.opportunity_id
            LEFT JOIN users cu ON cu.id = i.created_by
            LEFT JOIN users du ON du.id = i.completed_by
            WHERE {where}{ops.export_order("i")}{f" LIMIT {int(limit)}" if limit is not None else ""}""", params  # sql-ok: fixed text

    def _cursor(self, zone: str):
        """A cursor of its own whose session time zone is the user's (instants print in it),
        in a transaction: what the query reads first and its rows are one snapshot."""
        cursor = self.db.new_cursor()
        try:
            cursor.begin()
            cursor.execute(f"SET TimeZone = '{zone}'" if times.is_valid_zone(zone) else "SET TimeZone = 'UTC'")  # sql-ok
        except BaseException:
            cursor.close()  # the caller never gets it to close: give the connection back now
            raise
        return cursor

    def count(self, filters: Filters, user: User, now: datetime, zone: str, selection: Selection | None = None) -> int:
        where, params = self.analytics.where(filters, user, now, zone, selection=selection)
        return self.db.query_one(f"SELECT count(*) FROM items i WHERE {where}", params)[0]  # sql-ok

    def preview(self, filters: Filters, user: User, now: datetime, zone: str, rows: int = 100):
        """The first ``rows`` rows exactly as the CSV will hold them, as a DataFrame."""
        cursor = self._cursor(zone)
        try:
            sql, params = self._select(cursor, filters, user, now, zone, typed=False, limit=rows)
            return operations_of(cursor).frame(cursor, sql, params)
        finally:
            cursor.close()

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
        cursor = self._cursor(zone)
        try:
            ops = operations_of(cursor)
            sql, params = self._select(cursor, filters, user, now, zone, typed=fmt == "parquet",
                                       escape=options.escape_formulas, limit=limit, selection=selection)
            if fmt == "csv":
                if options.bom:  # the BOM rides on the first header, so it is written first
                    sql = sql.replace('AS "ID"', 'AS "\ufeffID"', 1)
                rows = ops.write_csv(cursor, sql, params, partial, options.separator, gzip)
            else:
                rows = ops.write_parquet(cursor, sql, params, partial)
            os.replace(partial, path)
        except OSError as error:  # disk full, permissions, a folder in the way
            raise OutputPathError(f"No se pudo escribir {path}: {_first_line(error)}") from error
        finally:
            cursor.close()
            with suppress(OSError):
                partial.unlink(missing_ok=True)
        return rows


def _first_line(error: OSError) -> str:
    return error.strerror or str(error).splitlines()[0]
