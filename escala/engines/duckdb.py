"""DuckDB, the embedded default engine: its answers to the questions SQL asks differently
per engine (``postgresql.OPERATIONS`` answers the same ones)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from escala import times


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

    # transfer
    def batches(self, db, sql: str, size: int) -> Iterator[list[tuple]]:
        """The rows of ``sql`` (a trusted read), ``size`` at a time, from one snapshot."""
        cursor = db.new_cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(size):
                yield rows
        finally:
            cursor.close()


def _zone(zone: str) -> str:
    if not times.is_valid_zone(zone):
        raise ValueError(f"unknown time zone {zone!r}")
    return zone


OPERATIONS = Operations()
