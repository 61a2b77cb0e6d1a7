"""DuckDB, the embedded default engine: its answers to the questions SQL asks differently
per engine (``postgresql.OPERATIONS`` answers the same ones)."""

from __future__ import annotations

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

    def local_day(self, instant: str, zone: str) -> str:
        """The calendar day, in ``zone``, of a naive-UTC TIMESTAMP."""
        return f"CAST(timezone('{_zone(zone)}', timezone('UTC', {instant})) AS DATE)"


def _zone(zone: str) -> str:
    if not times.is_valid_zone(zone):
        raise ValueError(f"unknown time zone {zone!r}")
    return zone


OPERATIONS = Operations()
