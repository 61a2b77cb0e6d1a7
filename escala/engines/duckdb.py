"""DuckDB, the embedded default engine: its answers to the questions SQL asks differently
per engine (``postgresql.OPERATIONS`` answers the same ones)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from escala import times
from escala.engines import CsvUnreadable


class Operations:
    """SQL fragments over expressions (trusted SQL) and validated names."""

    name = "duckdb"

    def epoch_us(self, instant: str) -> str:
        """Microseconds since 1970-01-01 of a naive-UTC TIMESTAMP, as BIGINT."""
        return f"epoch_us({instant})"

    def int_div(self, dividend: str, divisor: str) -> str:
        """Integer division truncating toward zero (what Python's ``_each`` mirrors)."""
        return f"(({dividend}) // ({divisor}))"

    def from_epoch_us(self, micros: str) -> str:
        """The naive-UTC TIMESTAMP ``micros`` microseconds after 1970-01-01."""
        return f"make_timestamp({micros})"

    def rollup_index(self, table: str, columns: tuple[str, ...]) -> str | None:
        """The statement indexing a rollup table on its readers' ``columns``, or None: DuckDB
        reads rollups stored in that order through its zone maps, no index needed."""
        return None

    def first_by(self, value: str, *order: str) -> str:
        """The aggregate: ``value`` of the row first in ``order`` (ascending)."""
        return f"arg_min({value}, {order[0] if len(order) == 1 else '(' + ', '.join(order) + ')'})"

    def append(self, cursor, table: str, names: list[str], rows: list[tuple], dtypes: dict) -> None:
        """Append many ``rows`` (values of ``names``) to ``table`` in one statement: a frame,
        its columns typed by ``dtypes`` where given (no inference)."""
        columns = {name: np.array(values, dtype=dtypes.get(name, object))
                   for name, values in zip(names, zip(*rows), strict=True)}
        cursor.register("appended_rows", pd.DataFrame(columns))
        try:
            cursor.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM appended_rows")  # sql-ok: our names
        finally:
            cursor.unregister("appended_rows")

    def local_day(self, instant: str, zone: str) -> str:
        """The calendar day, in ``zone``, of a naive-UTC TIMESTAMP."""
        return f"CAST(timezone('{_zone(zone)}', timezone('UTC', {instant})) AS DATE)"

    def whole_days(self, start: str, end: str) -> str:
        """Whole days from the naive-UTC TIMESTAMP ``start`` to ``end``, truncated toward zero."""
        return self.int_div(f"{self.epoch_us(end)} - {self.epoch_us(start)}", "86400000000")

    # the Tablero's rollups
    def prepare_totals(self, cursor) -> None:
        """Ready the transaction for statements that add up whole tables (building and
        checking the rollups): nothing to do, DuckDB's defaults suit them."""

    def storage_order(self, columns: tuple[str, ...]) -> str:
        """SQL after a rollup's rows as they are written: in its readers' order, so that their
        filters skip most row groups by their min/max."""
        return f" ORDER BY {', '.join(columns)}"

    def refresh_statistics(self, cursor, tables: list[str]) -> None:
        """Nothing to do: DuckDB keeps its statistics as it writes."""

    @contextmanager
    def indexes_after(self, cursor, tables: list[str]) -> Iterator[None]:
        """Around a bulk copy into ``tables``: nothing to do, DuckDB appends in bulk as it is."""
        yield

    # transfer
    def batches(self, db, sql: str, size: int) -> Iterator[list[tuple]]:
        """The rows of ``sql`` (a trusted read), ``size`` at a time, from one snapshot."""
        with db.own_cursor() as cursor:
            cursor.execute(sql)
            while rows := cursor.fetchmany(size):
                yield rows

    # export
    @contextmanager
    def export_source(self, cursor, reads: tuple, where: str, params: list, limit: int | None) -> Iterator[tuple]:
        """``(cursor, where, params, limit)``: where the export query runs, and which rows of
        ``items i`` it takes: here the database's own tables, on ``cursor`` (already in its
        snapshot); the query filters and limits them itself. ``reads``: what it reads
        (export.READS), which PostgreSQL copies out."""
        yield cursor, where, params, limit

    def starts_formula(self, text: str, mask: int) -> str:
        """SQL: does ``text`` start with a character whose bit is set in ``mask`` (bit n:
        character 9 + n, so every such character lies between tab and ``@``)? Two comparisons
        of the string's inlined prefix rule out almost every cell before its first character is
        read; the rest test the mask (``IN (...)`` became a join per text column)."""
        return f"({text} >= chr(9) AND {text} < 'A' AND ({mask}::BIGINT >> (ascii({text}) - 9)) & 1 = 1)"

    def iso_wall_clock(self, timestamp: str) -> str:
        """SQL: a TIMESTAMP as ISO 8601 text without an offset, 2026-03-05T10:00:00 (whole seconds)."""
        return f"strftime({timestamp}, '%Y-%m-%dT%H:%M:%S')"

    def iso_in_session_zone(self, instant: str) -> str:
        """SQL: a naive-UTC TIMESTAMP as ISO 8601 text in the session's time zone with its
        offset, 2026-03-05T10:00:00-06:00 (``%z`` gives -06 for whole hours: it gets its ``:00``;
        an old offset with seconds keeps them, -06:36:36)."""
        text = f"strftime(make_timestamptz(epoch_us({instant})), '%Y-%m-%dT%H:%M:%S%z')"
        return f"CASE WHEN length({text}) = 22 THEN {text} || ':00' ELSE {text} END"

    def days_since_in_session_zone(self, instant: str, today: str) -> str:
        """SQL: whole calendar days (BIGINT) from the day, in the session's time zone, of the
        naive-UTC TIMESTAMP ``instant`` to the DATE ``today``."""
        return f"date_diff('day', make_timestamptz(epoch_us({instant}))::DATE, {today})"

    def write_csv(self, cursor, sql: str, params: list, path: Path, separator: str, gzip: bool) -> int:
        """Write the rows of ``sql`` (over bound ``params``, on ``cursor``) to ``path`` as CSV:
        a header, RFC 4180 quoting, NULL as an empty cell, gzip if asked; returns the number
        of rows. A failed write raises ``OSError``."""
        if separator not in (",", ";"):
            raise ValueError("El separador debe ser ',' o ';'.")
        options = (f"(FORMAT csv, HEADER true, DELIMITER '{separator}', QUOTE '\"', ESCAPE '\"', NULLSTR ''"  # sql-ok
                   f"{', COMPRESSION gzip' if gzip else ''})")  # sql-ok: a checked separator
        return _copy_to(cursor, sql, params, path, options)

    def write_parquet(self, cursor, sql: str, params: list, path: Path) -> int:
        """Write the rows of ``sql`` to ``path`` as Parquet (zstd), each column of its SQL type;
        returns the number of rows. A failed write raises ``OSError``."""
        return _copy_to(cursor, sql, params, path, "(FORMAT parquet, COMPRESSION zstd)")

    # import

    database_errors = (duckdb.Error,)  # what a failed statement raises

    def read_csv(self, cursor, path, width: int, separator: str) -> None:
        """``raw_csv(c0, ..., c<width - 1>)``: the CSV's lines after the header, as text
        (',' or ';', optional BOM, RFC 4180 quoting; empty cells NULL); ``CsvUnreadable`` if
        DuckDB's strict reader cannot read it."""
        types = ", ".join(f"'c{n}': 'VARCHAR'" for n in range(width))
        try:  # our own column names: the sniffer cannot misread the header; the separator is one of two
            cursor.execute(f"""CREATE OR REPLACE TEMP TABLE raw_csv AS
                SELECT * FROM read_csv(?, columns = {{{types}}}, header = false, skip = 1, delim = '{separator}',
                                       auto_detect = false, quote = '"', escape = '"', null_padding = false,
                                       strict_mode = true, parallel = false)""", [str(path)])  # sql-ok: our names
        except duckdb.Error as error:
            raise _csv_unreadable(error) from None

    def stage_csv(self, cursor, path, width: int, separator: str) -> None:
        """``raw_lines(line, c0, ...)``: ``read_csv``'s rows numbered as a spreadsheet numbers
        them (the header is line 1), in the import's own cursor."""
        self.read_csv(cursor, path, width, separator)
        cursor.execute("CREATE OR REPLACE TEMP VIEW raw_lines AS SELECT row_number() OVER () + 1 AS line, * FROM raw_csv")

    @contextmanager
    def file_stage(self, cursor) -> Iterator:
        """Where an import reads its file and judges the rules that need no table (the file's
        own): here, the import's own cursor."""
        yield cursor

    @contextmanager
    def load_stage(self, stage, cursor, needs: tuple) -> Iterator:
        """Where an import judges its rows against the database and loads them: the database
        itself (the file stage is the import's cursor). Yields ``write_back``: nothing to do
        (``needs``, what the load reads and writes, is for engines that copy)."""
        yield lambda: None

    def replace_temp_table(self, cursor, name: str, select: str, params: list | tuple = ()) -> None:
        """The temporary table ``name`` made anew from ``select`` (which may read the old one)."""
        cursor.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}", params)  # sql-ok: our names

    def regexp_matches(self, value: str, pattern: str) -> str:
        """SQL: does the RE2 ``pattern`` (a Python string) match somewhere in ``value``?"""
        return f"regexp_matches({value}, {_literal(pattern)})"

    def regexp_full_match(self, value: str, pattern: str) -> str:
        """SQL: does the RE2 ``pattern`` match the whole of ``value``?"""
        return f"regexp_full_match({value}, {_literal(pattern)})"

    def try_instant(self, text: str) -> str:
        """SQL: the naive-UTC TIMESTAMP named by ``text`` (ISO 8601 with an offset), NULL where
        it names none (30 February, 24:30, beyond the engine's range...)."""
        return f"timezone('UTC', try_cast({text} AS TIMESTAMPTZ))"

    def thousands(self, number: str) -> str:
        """SQL: the whole number as text with ',' between thousands (``5,001``)."""
        return f"format('{{:,}}', {number})"


def _copy_to(cursor, sql: str, params: list, path: Path, options: str) -> int:
    """DuckDB's ``COPY (sql) TO 'path' options`` (the path is ours, quoted; values stay bound)."""
    target = str(path).replace("'", "''")
    try:
        (rows,) = cursor.execute(f"COPY ({sql}) TO '{target}' {options}", params).fetchone()  # sql-ok: ours, quoted
    except duckdb.IOException as error:  # disk full, permissions, a folder in the way
        raise OSError(str(error).splitlines()[0].removeprefix("IO Error: ")) from error
    return rows


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_unreadable(error: duckdb.Error) -> CsvUnreadable:
    """DuckDB's reading error as the engine-neutral ``CsvUnreadable`` (never with a path)."""
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    number = int(line.group(1)) if line else None
    columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if columns:
        return CsvUnreadable("columns", number, found=int(columns.group(2)), expected=int(columns.group(1)))
    if "unicode" in text.lower():
        return CsvUnreadable("encoding")
    if "quote" in text.lower():
        return CsvUnreadable("quote", number)
    return CsvUnreadable("other")


def _zone(zone: str) -> str:
    if not times.is_valid_zone(zone):
        raise ValueError(f"unknown time zone {zone!r}")
    return zone


OPERATIONS = Operations()
