"""PostgreSQL, the server-mode engine: a cursor that speaks the store's SQL and hands back
the same Python values as DuckDB's.

The store writes one SQL text for both engines, with ``?`` placeholders (DuckDB's); psycopg
binds ``%s``. ``translate`` rewrites the placeholders outside quoted text and doubles the
``%`` signs psycopg would otherwise read as its own. Values come back as DuckDB returns them:
naive UTC datetimes for TIMESTAMP, ``str`` for ENUM and JSON columns (psycopg would parse
JSON), ``Decimal`` for DECIMAL.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from escala.engines import duckdb


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """``sql`` with each ``?`` placeholder as ``%s`` and each ``%`` as ``%%``; text inside
    single quotes (literals), double quotes (identifiers) and ``--`` comments keeps its
    question marks."""
    out, quote, k = [], None, 0
    while k < len(sql):
        char = sql[k]
        if quote is None and sql.startswith("--", k):
            end = sql.find("\n", k)
            end = len(sql) if end < 0 else end
            out.append(sql[k:end].replace("%", "%%"))
            k = end
            continue
        if char == "%":
            out.append("%%")
        elif quote is None and char == "?":
            out.append("%s")
        else:
            out.append(char)
            if char in "'\"":
                quote = None if quote == char else quote or char  # '' inside a literal closes and reopens
        k += 1
    return "".join(out)


def connect(url: str):
    """A psycopg connection in autocommit (transactions are explicit ``BEGIN`` … ``COMMIT``,
    as on DuckDB) whose JSON columns load as text."""
    import psycopg
    from psycopg.types.string import TextLoader

    connection = psycopg.connect(url, autocommit=True)
    for json_type in ("json", "jsonb"):
        connection.adapters.register_loader(json_type, TextLoader)
    return connection


class Operations(duckdb.Operations):
    """PostgreSQL's answers to ``duckdb.Operations``' questions (where they differ)."""

    name = "postgresql"

    def epoch_us(self, instant: str) -> str:
        return f"(extract(epoch FROM {instant}) * 1000000)::BIGINT"  # numeric: exact to the microsecond

    def int_div(self, dividend: str, divisor: str) -> str:
        return f"(({dividend})::BIGINT / ({divisor})::BIGINT)"  # integer division truncates toward zero


OPERATIONS = Operations()


class Cursor:
    """The part of DuckDB's cursor the store uses, over one psycopg connection."""

    operations = OPERATIONS  # what escala.engines.operations_of finds on a cursor of ours

    def __init__(self, connection):
        self.connection = connection
        self._cursor = connection.cursor()

    def execute(self, sql: str, params=()) -> Cursor:
        # without values psycopg sends the text as it is (several statements allowed)
        self._cursor.execute(translate(sql) if params else sql, list(params) if params else None)
        return self

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    @property
    def description(self):
        return self._cursor.description

    def df(self) -> pd.DataFrame:
        return pd.DataFrame(self.fetchall(), columns=[column.name for column in self.description or []])

    def close(self) -> None:
        self._cursor.close()
